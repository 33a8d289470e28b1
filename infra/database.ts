import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { databaseName, databaseUser } from "./credentials";
import { PrivatePlacement, privateServiceGroup } from "./network";
import { RestoreSettings, Role } from "./settings";

/**
 * The PostgreSQL major version of the stacks' engine: the parameter group family, the engine
 * version and the client programs of the `autovideo-dr` image (Dockerfile, PG_MAJOR) follow it.
 */
export const postgresMajorVersion = 15;

/** The logical name of a generation's instance: the first keeps the plain name, so an existing database is not renamed. */
export function instanceName(name: string, generation: number): string {
    return generation === 1 ? name : `${name}-${generation}`;
}

export interface DatabaseArgs extends PrivatePlacement {
    role: Role;
    /** ARN of the peer's database; a standby replicates from it. */
    replicaSourceArn?: pulumi.Input<string>;
    /** True when this generation was created as a replica, so it keeps the source's user and password. */
    createdAsReplica: boolean;
    /** The current instance (settings: dbGeneration). */
    generation: number;
    /** Master password for a database created here (from the global stack's secret). */
    masterPassword?: pulumi.Input<string>;
    instanceClass: string;
    allocatedStorageGb: number;
    backupRetentionDays: number;
    restore?: RestoreSettings;
    kmsKeyArn: pulumi.Input<string>;
    /** Key in the peer region that encrypts the replicated automated backups. */
    peerKmsKeyArn: pulumi.Input<string>;
    peerProvider: aws.Provider;
    tags: Record<string, string>;
}

/**
 * RDS PostgreSQL. A primary is Multi-AZ, KMS-encrypted, deletion-protected, keeps PITR backups and
 * replicates them to the peer region. A standby is a cross-region read replica of the peer's
 * database; flipping the role to primary drops replicateSourceDb, which the provider turns into
 * an in-place promotion (PromoteReadReplica).
 *
 * The way back is not symmetric: RDS refuses to make a promoted instance a replica again ("cannot
 * elect new source database for replication"), so a primary demoted at failback gets a new
 * generation (dbGeneration + 1): a new replica resource under a new name. The previous instance
 * is retired deliberately: an instance that has been primary is declared with retainOnDelete, so
 * when the program stops declaring it Pulumi releases it from the state and leaves it running,
 * deletion-protected, for the operator to snapshot and delete once nothing is left to recover
 * from it (docs/runbooks.md, "Failback").
 */
export class Database extends pulumi.ComponentResource {
    public readonly instance: aws.rds.Instance;
    public readonly replicaSource: pulumi.Output<string>;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Database", name, {}, opts);
        const child = { parent: this };
        const standby = args.role === "standby";
        if (standby && args.replicaSourceArn === undefined) throw new Error("a standby database needs replicaSourceArn");
        const fresh = !standby && !args.createdAsReplica && args.restore === undefined;
        if (fresh && args.masterPassword === undefined) throw new Error("a database created here needs masterPassword");

        const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, tags: args.tags }, child);
        const sg = privateServiceGroup(`${name}-sg`, args, 5432, "PostgreSQL", args.tags, child);
        const params = new aws.rds.ParameterGroup(`${name}-params`, {
            family: `postgres${postgresMajorVersion}`,
            parameters: [
                // Data in transit is encrypted (資料加密: 傳輸和儲存加密).
                { name: "rds.force_ssl", value: "1" },
            ],
            tags: args.tags,
        }, child);

        this.instance = new aws.rds.Instance(instanceName(name, args.generation), {
            // A replica takes engine and version from its source.
            engine: standby ? undefined : "postgres",
            engineVersion: standby ? undefined : String(postgresMajorVersion),
            instanceClass: args.instanceClass,
            allocatedStorage: args.allocatedStorageGb,
            maxAllocatedStorage: args.allocatedStorageGb * 4,
            storageType: "gp3",
            // The replication source: only a standby has one. Removing it promotes the replica.
            replicateSourceDb: standby ? args.replicaSourceArn : undefined,
            snapshotIdentifier: args.restore?.snapshotIdentifier,
            restoreToPointInTime: args.restore?.pointInTime === undefined ? undefined : {
                // An ARN names automated backups replicated into this region (the dr stack's restore); otherwise an instance.
                ...(args.restore.pointInTime.source.startsWith("arn:")
                    ? { sourceDbInstanceAutomatedBackupsArn: args.restore.pointInTime.source }
                    : { sourceDbInstanceIdentifier: args.restore.pointInTime.source }),
                ...(args.restore.pointInTime.time === "latest"
                    ? { useLatestRestorableTime: true }
                    : { restoreTime: args.restore.pointInTime.time }),
            },
            // Only a database created from nothing gets a user and password; a replica, a promoted
            // replica and a restore keep their source's, which are the same credentials.
            dbName: fresh ? databaseName : undefined,
            username: fresh ? databaseUser : undefined,
            password: fresh ? args.masterPassword : undefined,
            multiAz: true,
            storageEncrypted: true,
            kmsKeyId: args.kmsKeyArn,
            deletionProtection: true,
            backupRetentionPeriod: args.backupRetentionDays,
            backupWindow: "17:00-17:30",
            maintenanceWindow: "sun:18:00-sun:19:00",
            copyTagsToSnapshot: true,
            // DeleteDBInstance: "If you delete a read replica ..., you must enable this setting"
            // (SkipFinalSnapshot), and FinalDBSnapshotIdentifier "can't be specified when deleting a
            // read replica". A primary keeps a final snapshot.
            skipFinalSnapshot: standby,
            finalSnapshotIdentifier: standby ? undefined : `${instanceName(name, args.generation)}-final`,
            dbSubnetGroupName: subnets.name,
            vpcSecurityGroupIds: [sg.id],
            parameterGroupName: params.name,
            publiclyAccessible: false,
            autoMinorVersionUpgrade: true,
            enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: args.kmsKeyArn,
            applyImmediately: true,
            tags: { ...args.tags, "autovideo-dr:backup": "true", "autovideo-dr:generation": String(args.generation) },
        }, { parent: this, retainOnDelete: !standby });

        if (!standby) {
            // PITR for the peer region: the automated backups and transaction logs are copied there,
            // so a region loss still leaves a point-in-time restore within the RPO. (The API is
            // called in the peer region: while that region is down this step fails and converges later.)
            new aws.rds.InstanceAutomatedBackupsReplication(`${name}-backups-to-peer`, {
                sourceDbInstanceArn: this.instance.arn,
                kmsKeyId: args.peerKmsKeyArn,
                retentionPeriod: args.backupRetentionDays,
            }, { parent: this, provider: args.peerProvider });
        }

        this.replicaSource = pulumi.output(standby ? args.replicaSourceArn! : "");
        this.registerOutputs({ endpoint: this.instance.endpoint, arn: this.instance.arn, replicaSource: this.replicaSource });
    }
}
