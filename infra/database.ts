import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PrivatePlacement, privateServiceGroup } from "./network";
import { RestoreSettings, Role } from "./settings";

export interface DatabaseArgs extends PrivatePlacement {
    role: Role;
    /** ARN of the peer's database; a standby replicates from it. */
    replicaSourceArn?: pulumi.Input<string>;
    /** True when this database was created as a replica (the stack has a peer), so it keeps the source's user. */
    createdAsReplica: boolean;
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
 * RDS PostgreSQL 15. A primary is Multi-AZ, KMS-encrypted, deletion-protected, keeps PITR
 * backups and replicates them to the peer region. A standby is a cross-region read replica of
 * the peer's database; flipping the role to primary drops replicateSourceDb, which the
 * provider turns into an in-place promotion.
 */
export class Database extends pulumi.ComponentResource {
    public readonly instance: aws.rds.Instance;
    public readonly replicaSource: pulumi.Output<string>;
    /** Secrets Manager secret of the master user; only a database created here has one. */
    public readonly masterSecretArn?: pulumi.Output<string>;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Database", name, {}, opts);
        const child = { parent: this };
        const standby = args.role === "standby";
        if (standby && args.replicaSourceArn === undefined) throw new Error("a standby database needs replicaSourceArn");

        const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, tags: args.tags }, child);
        const sg = privateServiceGroup(`${name}-sg`, args, 5432, "PostgreSQL", args.tags, child);
        const params = new aws.rds.ParameterGroup(`${name}-params`, {
            family: "postgres15",
            parameters: [
                // Data in transit is encrypted (資料加密: 傳輸和儲存加密).
                { name: "rds.force_ssl", value: "1" },
            ],
            tags: args.tags,
        }, child);

        const fresh = !standby && !args.createdAsReplica && args.restore === undefined;
        this.instance = new aws.rds.Instance(`${name}`, {
            // A replica takes engine and version from its source.
            engine: standby ? undefined : "postgres",
            engineVersion: standby ? undefined : "15",
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
            // A database created here (not a promoted replica or a restore) gets its user, whose
            // password RDS keeps in Secrets Manager: no password ever passes through config.
            dbName: fresh ? "autovideo" : undefined,
            username: fresh ? "autovideo" : undefined,
            manageMasterUserPassword: fresh ? true : undefined,
            masterUserSecretKmsKeyId: fresh ? args.kmsKeyArn : undefined,
            multiAz: true,
            storageEncrypted: true,
            kmsKeyId: args.kmsKeyArn,
            deletionProtection: true,
            backupRetentionPeriod: args.backupRetentionDays,
            backupWindow: "17:00-17:30",
            maintenanceWindow: "sun:18:00-sun:19:00",
            copyTagsToSnapshot: true,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: `${name}-final-${args.role}`,
            dbSubnetGroupName: subnets.name,
            vpcSecurityGroupIds: [sg.id],
            parameterGroupName: params.name,
            publiclyAccessible: false,
            autoMinorVersionUpgrade: true,
            enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: args.kmsKeyArn,
            applyImmediately: true,
            tags: { ...args.tags, "autovideo-dr:backup": "true" },
        }, child);

        if (!standby) {
            // PITR for the peer region: the automated backups and transaction logs are copied there,
            // so a region loss still leaves a point-in-time restore within the RPO.
            new aws.rds.InstanceAutomatedBackupsReplication(`${name}-backups-to-peer`, {
                sourceDbInstanceArn: this.instance.arn,
                kmsKeyId: args.peerKmsKeyArn,
                retentionPeriod: args.backupRetentionDays,
            }, { parent: this, provider: args.peerProvider });
        }

        this.replicaSource = pulumi.output(standby ? args.replicaSourceArn! : "");
        if (fresh) this.masterSecretArn = this.instance.masterUserSecrets.apply(s => s?.[0]?.secretArn ?? "");
        this.registerOutputs({ endpoint: this.instance.endpoint, arn: this.instance.arn, replicaSource: this.replicaSource });
    }
}
