import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PrivatePlacement, privateServiceGroup } from "./network";
import { Role } from "./settings";

export interface CacheArgs extends PrivatePlacement {
    role: Role;
    /** The peer's global datastore id; a standby joins it as the secondary. */
    peerGlobalReplicationGroupId?: pulumi.Input<string>;
    nodeType: string;
    /** One cache node per zone. */
    zoneCount: number;
    kmsKeyArn: pulumi.Input<string>;
    tags: Record<string, string>;
}

/**
 * ElastiCache Redis: a replication group with a node per zone, Multi-AZ with automatic
 * failover, encrypted at rest and in transit. A primary heads a global datastore; a standby
 * joins the peer's as its secondary, so the cache is warm in the other region.
 */
export class Cache extends pulumi.ComponentResource {
    public readonly group: aws.elasticache.ReplicationGroup;
    public readonly globalReplicationGroupId: pulumi.Output<string>;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Cache", name, {}, opts);
        const child = { parent: this };
        const secondary = args.role === "standby";
        if (secondary && args.peerGlobalReplicationGroupId === undefined) throw new Error("a standby cache needs peerGlobalReplicationGroupId");

        const subnets = new aws.elasticache.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, tags: args.tags }, child);
        const sg = privateServiceGroup(`${name}-sg`, args, 6379, "Redis", args.tags, child);

        const common: aws.elasticache.ReplicationGroupArgs = {
            description: `autovideo-dr cache (${args.role})`,
            numCacheClusters: Math.max(2, args.zoneCount),
            automaticFailoverEnabled: true,
            multiAzEnabled: true,
            subnetGroupName: subnets.name,
            securityGroupIds: [sg.id],
            snapshotRetentionLimit: 7,
            applyImmediately: true,
            tags: args.tags,
        };
        // A member of a global datastore inherits engine, node type and encryption settings from
        // the datastore's primary, so only the primary states them; the key is per region.
        this.group = new aws.elasticache.ReplicationGroup(name, secondary
            ? { ...common, globalReplicationGroupId: args.peerGlobalReplicationGroupId, kmsKeyId: args.kmsKeyArn }
            : {
                ...common,
                engine: "redis",
                engineVersion: "7.1",
                nodeType: args.nodeType,
                atRestEncryptionEnabled: true,
                transitEncryptionEnabled: true,
                kmsKeyId: args.kmsKeyArn,
            }, child);

        if (secondary) {
            this.globalReplicationGroupId = pulumi.output(args.peerGlobalReplicationGroupId!);
        } else {
            const global = new aws.elasticache.GlobalReplicationGroup(`${name}-global`, {
                globalReplicationGroupIdSuffix: "autovideo-dr",
                primaryReplicationGroupId: this.group.id,
                globalReplicationGroupDescription: "autovideo-dr cache across the primary and standby regions",
            }, child);
            this.globalReplicationGroupId = global.globalReplicationGroupId;
        }
        this.registerOutputs({ endpoint: this.group.primaryEndpointAddress, globalReplicationGroupId: this.globalReplicationGroupId });
    }
}
