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

/** Which part a replication group plays in the global datastore. */
export type CacheRole = "primary" | "secondary";

/** The replication group's logical name for a role: a role change is a different resource. */
export function cacheGroupName(name: string, role: CacheRole): string {
    return role === "primary" ? name : `${name}-secondary`;
}

/**
 * ElastiCache Redis: a replication group with a node per zone, Multi-AZ with automatic
 * failover, encrypted at rest and in transit. A primary heads a global datastore; a standby
 * joins the peer's as its secondary, so the cache is warm in the other region.
 *
 * The group is keyed by role, so a promoted cache is primary by construction. Dropping
 * globalReplicationGroupId from a secondary would change nothing (the attribute is optional and
 * computed in the provider, so an absent value keeps the old one) and the group would stay a
 * read-only member of the old primary's datastore. Instead promotion declares a new group under
 * the primary's name, created outside any datastore, with a datastore of its own, and the
 * secondary is deleted: the provider first disassociates it from the peer's datastore
 * (DisassociateGlobalReplicationGroup), then deletes it. The new group starts empty; the cache
 * holds nothing that is not elsewhere and refills from the services. Global datastore ids carry
 * a per-region prefix (ElastiCache, CreateGlobalReplicationGroup: "Each Amazon Region has its own
 * prefix"), so both regions' datastores can share the suffix.
 */
export class Cache extends pulumi.ComponentResource {
    public readonly group: aws.elasticache.ReplicationGroup;
    public readonly role: CacheRole;
    public readonly globalReplicationGroupId: pulumi.Output<string>;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Cache", name, {}, opts);
        const child = { parent: this };
        this.role = args.role === "standby" ? "secondary" : "primary";
        const secondary = this.role === "secondary";
        if (secondary && args.peerGlobalReplicationGroupId === undefined) throw new Error("a standby cache needs peerGlobalReplicationGroupId");

        const subnets = new aws.elasticache.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, tags: args.tags }, child);
        const sg = privateServiceGroup(`${name}-sg`, args, 6379, "Redis", args.tags, child);

        const common: aws.elasticache.ReplicationGroupArgs = {
            description: `autovideo-dr cache (${this.role})`,
            numCacheClusters: Math.max(2, args.zoneCount),
            automaticFailoverEnabled: true,
            multiAzEnabled: true,
            subnetGroupName: subnets.name,
            securityGroupIds: [sg.id],
            snapshotRetentionLimit: 7,
            applyImmediately: true,
            kmsKeyId: args.kmsKeyArn,
            tags: { ...args.tags, "autovideo-dr:cache-role": this.role },
        };
        // A member of a global datastore inherits engine, node type and encryption settings from
        // the datastore's primary, so only the primary states them; the key is per region.
        this.group = new aws.elasticache.ReplicationGroup(cacheGroupName(name, this.role), secondary
            ? { ...common, globalReplicationGroupId: args.peerGlobalReplicationGroupId }
            : {
                ...common,
                engine: "redis",
                engineVersion: "7.1",
                nodeType: args.nodeType,
                atRestEncryptionEnabled: true,
                transitEncryptionEnabled: true,
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
        this.registerOutputs({ endpoint: this.group.primaryEndpointAddress, role: this.role, globalReplicationGroupId: this.globalReplicationGroupId });
    }
}
