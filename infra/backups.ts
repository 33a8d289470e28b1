import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceTrust } from "./iam";
import { SecureBucket } from "./secureBucket";

/** Prefixes the backup job writes under, one per retention tier of the plan (每小時/每日/每週備份). */
export const backupTiers = ["hourly", "daily", "weekly"] as const;

/** Name of the AWS Backup vault of a region; fixed so the peer's plan can address it without a stack reference. */
export function vaultName(region: string): string {
    return `autovideo-dr-${region}`;
}

export interface BackupsArgs {
    region: string;
    peerRegion: string;
    accountId: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    lockDays: number;
    lockMode: "COMPLIANCE" | "GOVERNANCE";
    /** Resources the AWS Backup plan protects (database, media buckets). */
    protectedArns: pulumi.Input<string>[];
    tags: Record<string, string>;
}

/**
 * Where backups are kept: the backup bucket (Object Lock, so a backup cannot be deleted or
 * overwritten before its lock expires; tiers age into cold storage, the plan's offline copy),
 * and an AWS Backup vault with vault lock and a plan whose every rule copies to the peer
 * region's vault.
 */
export class Backups extends pulumi.ComponentResource {
    public readonly bucket: SecureBucket;
    public readonly vault: aws.backup.Vault;
    public readonly plan: aws.backup.Plan;
    public readonly peerVaultArn: pulumi.Output<string>;

    constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Backups", name, {}, opts);
        const child = { parent: this };

        this.bucket = new SecureBucket(`${name}-bucket`, { kmsKeyArn: args.kmsKeyArn, objectLockEnabled: true, tags: args.tags }, child);
        const bucket = this.bucket.bucket.id;
        new aws.s3.BucketObjectLockConfiguration(`${name}-lock`, {
            bucket,
            objectLockEnabled: "Enabled",
            rule: { defaultRetention: { mode: args.lockMode, days: args.lockDays } },
        }, { parent: this, dependsOn: [this.bucket.versioning] });

        // Hot while a backup is the one a recovery would use, then cold (離線備份: the offline copy).
        const days = args.lockDays;
        new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            bucket,
            rules: [
                { id: "hourly", status: "Enabled", filter: { prefix: "hourly/" }, expiration: { days: Math.max(days, 2) } },
                {
                    id: "daily", status: "Enabled", filter: { prefix: "daily/" },
                    transitions: [{ days: 7, storageClass: "GLACIER" }],
                    expiration: { days: Math.max(days, 97) },
                },
                {
                    id: "weekly", status: "Enabled", filter: { prefix: "weekly/" },
                    transitions: [{ days: 7, storageClass: "DEEP_ARCHIVE" }],
                    expiration: { days: Math.max(days, 365) },
                },
                {
                    // Old versions only exist once their lock has run out; they serve no recovery.
                    id: "noncurrent", status: "Enabled", filter: {},
                    noncurrentVersionExpiration: { noncurrentDays: days + 1 },
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
        const rule = (ruleName: string, schedule: string, deleteAfter: number, coldStorageAfter?: number): aws.types.input.backup.PlanRule => {
            const lifecycle = { deleteAfter, coldStorageAfter };
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
                // Cold storage needs 90 days there before deletion: 30 + 90 ≤ 365.
                rule("weekly", "cron(0 4 ? * SUN *)", 365, 30),
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
