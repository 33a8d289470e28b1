import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { defaultRetentionDays, tierLifecycleRules, TierPolicy, tierPolicy } from "./backupTiers";
import { serviceTrust } from "./iam";
import { SecureBucket } from "./secureBucket";

/** Name of the AWS Backup vault of a region; fixed so the peer's plan can address it without a stack reference. */
export function vaultName(region: string): string {
    return `autovideo-dr-${region}`;
}

export interface BackupsArgs {
    region: string;
    peerRegion: string;
    accountId: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    /** The bucket's default retention; at most the hourly tier's lock. */
    lockDays: number;
    lockMode: "COMPLIANCE" | "GOVERNANCE";
    /** The tiers the lifecycle follows (policy/backup-tiers.json). */
    tiers?: TierPolicy;
    /** Resources the AWS Backup plan protects (database, media buckets). */
    protectedArns: pulumi.Input<string>[];
    tags: Record<string, string>;
}

/**
 * A bucket policy statement that refuses to overwrite an object: every upload must carry
 * `If-None-Match: *` (a conditional write), so S3 answers 412 where the key already exists. Without
 * it a writer that may not delete could still replace a backup with s3:PutObject, and once the
 * old version's lock ran out the noncurrent-version rule would remove it for good. The parts of a
 * multipart upload (CreateMultipartUpload, UploadPart) take no conditional header and are exempt
 * through s3:ObjectCreationOperation; the CompleteMultipartUpload that creates the object is not
 * (S3 user guide, "Enforce conditional writes on Amazon S3 buckets", example 1). Replication writes
 * with s3:ReplicateObject and is unaffected.
 */
export function denyOverwrites(bucketArn: string): Record<string, unknown> {
    return {
        Sid: "DenyOverwritingBackups",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        Condition: { Null: { "s3:if-none-match": "true" }, Bool: { "s3:ObjectCreationOperation": "true" } },
    };
}

/**
 * Where backups are kept: the backup bucket (Object Lock, so a backup cannot be deleted before
 * its lock expires, and a bucket policy that refuses overwrites; each tier ages into cold
 * storage, the plan's offline copy), and an AWS Backup vault with vault lock and a plan whose
 * every rule copies to the peer region's vault.
 *
 * Tiers are object tags (`autovideo-dr-tier=hourly|daily|weekly`, policy/backup-tiers.json): backup
 * keys stay `autovideo_backup_<timestamp>/...` at the bucket root and the recovery side re-tags a
 * backup (and extends its retention) when prune keeps it for the daily or weekly tier.
 */
export class Backups extends pulumi.ComponentResource {
    public readonly bucket: SecureBucket;
    public readonly lock: aws.s3.BucketObjectLockConfiguration;
    public readonly lifecycle: aws.s3.BucketLifecycleConfiguration;
    public readonly vault: aws.backup.Vault;
    public readonly plan: aws.backup.Plan;
    public readonly peerVaultArn: pulumi.Output<string>;

    constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Backups", name, {}, opts);
        const child = { parent: this };

        const tiers = args.tiers ?? tierPolicy;
        if (args.lockDays > defaultRetentionDays(tiers)) {
            throw new Error(`the backup bucket's default retention (${args.lockDays} days) outlasts the hourly tier's lock (${defaultRetentionDays(tiers)} days)`);
        }
        this.bucket = new SecureBucket(`${name}-bucket`, {
            kmsKeyArn: args.kmsKeyArn, objectLockEnabled: true, extraStatements: arn => [denyOverwrites(arn)], tags: args.tags,
        }, child);
        const bucket = this.bucket.bucket.id;
        // The floor under every backup, set to the hourly tier's lock: a backup is written as hourly
        // with its own retention, which the recovery side extends when the backup moves to a longer tier.
        this.lock = new aws.s3.BucketObjectLockConfiguration(`${name}-lock`, {
            bucket,
            objectLockEnabled: "Enabled",
            rule: { defaultRetention: { mode: args.lockMode, days: args.lockDays } },
        }, { parent: this, dependsOn: [this.bucket.versioning] });

        // One rule per tier into its cold storage class (離線備份: the offline copy); deletion is prune's.
        this.lifecycle = new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            bucket,
            rules: [
                ...tierLifecycleRules(tiers),
                {
                    // Versions only become noncurrent when prune deletes a backup (overwrites are refused).
                    // A week's grace undoes a mistaken prune; a version still under its lock outlives this
                    // rule, as Object Lock lets no request or rule delete it before its retention ends.
                    id: "pruned-versions", status: "Enabled", filter: {},
                    noncurrentVersionExpiration: { noncurrentDays: 7 },
                    expiration: { expiredObjectDeleteMarker: true },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ],
        }, { parent: this, dependsOn: [this.bucket.versioning] });

        this.vault = new aws.backup.Vault(`${name}-vault`, {
            name: vaultName(args.region), kmsKeyArn: args.kmsKeyArn, tags: args.tags,
        }, child);
        // Vault lock: recovery points cannot be deleted early, not even by an administrator once
        // the grace period (changeableForDays) has passed.
        new aws.backup.VaultLockConfiguration(`${name}-vault-lock`, {
            backupVaultName: this.vault.name,
            minRetentionDays: 7,
            maxRetentionDays: 400,
            changeableForDays: 3,
        }, child);

        this.peerVaultArn = pulumi.interpolate`arn:aws:backup:${args.peerRegion}:${args.accountId}:backup-vault:${vaultName(args.peerRegion)}`;
        // No rule moves recovery points to cold storage: AWS Backup ignores coldStorageAfter for
        // resource types without a cold tier ("AWS Backup ignores this expression for other
        // resource types", API reference, Lifecycle), and the plan's only resources, RDS and S3, are
        // such types. The plan's cold, offline copy is the backup bucket's weekly tier (DEEP_ARCHIVE,
        // Object Lock) and the locked GCS bucket; the vault keeps its recovery points warm and locked.
        const rule = (ruleName: string, schedule: string, deleteAfter: number): aws.types.input.backup.PlanRule => {
            const lifecycle = { deleteAfter };
            return {
                ruleName, schedule, targetVaultName: this.vault.name, lifecycle,
                startWindow: 60, completionWindow: 180,
                recoveryPointTags: { ...args.tags, "autovideo-dr:tier": ruleName },
                copyActions: [{ destinationVaultArn: this.peerVaultArn, lifecycle }],
            };
        };
        this.plan = new aws.backup.Plan(`${name}-plan`, {
            rules: [
                // Retention never goes below the vault lock's 7-day minimum.
                rule("hourly", "cron(0 * ? * * *)", 7),
                rule("daily", "cron(0 3 ? * * *)", 35),
                rule("weekly", "cron(0 4 ? * SUN *)", 365),
            ],
            tags: args.tags,
        }, child);

        const serviceRole = new aws.iam.Role(`${name}-service`, { assumeRolePolicy: serviceTrust("backup.amazonaws.com"), tags: args.tags }, child);
        const policies = [
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
            "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
            "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
        ];
        policies.forEach((policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-service-${i}`, { role: serviceRole.name, policyArn }, child));
        new aws.backup.Selection(`${name}-selection`, {
            planId: this.plan.id, iamRoleArn: serviceRole.arn, resources: args.protectedArns,
        }, child);

        this.registerOutputs({ bucket: this.bucket.bucket.bucket, vaultName: this.vault.name, peerVaultArn: this.peerVaultArn });
    }
}
