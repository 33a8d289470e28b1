import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument, stableJson } from "./iam";

/** Google APIs a fresh project must have enabled before the transfer can be declared. */
export const offsiteApis = ["storage.googleapis.com", "storagetransfer.googleapis.com"] as const;

/** The transfer agent's roles on the off-site bucket: write new objects and read them back; nothing that edits the bucket. */
export const transferAgentRoles = ["roles/storage.legacyBucketWriter", "roles/storage.legacyObjectReader"] as const;

export interface OffsiteArgs {
    gcpProject: string;
    gcpRegion: string;
    retentionDays: number;
    retentionLocked: boolean;
    /** Backups older than this are left alone: by then the lifecycle may have moved them to a Glacier class, which the transfer cannot read. */
    maxAgeDays: number;
    /** The S3 backup bucket the daily transfer reads. */
    sourceBucket: pulumi.Input<string>;
    sourceBucketArn: pulumi.Input<string>;
    sourceKmsKeyArn: pulumi.Input<string>;
    gcpProvider: gcp.Provider;
    tags: Record<string, string>;
}

/**
 * The plan's off-site copy in another cloud (異地備份: AWS S3, Google Cloud): a GCS bucket with
 * a retention policy and soft delete, fed daily by a Storage Transfer job from the S3 backup
 * bucket, so losing the AWS account or both regions still leaves the backups.
 *
 * No long-lived AWS key: the transfer assumes an AWS role by federation. The role trusts
 * accounts.google.com for the project's Storage Transfer service agent only (condition on its
 * subject id), as Google documents for S3 sources ("Configure access to a source: Amazon S3",
 * federated identity). The agent's account only exists once the Storage Transfer API is enabled
 * in the project, so the API is declared here and the look-up waits for it.
 */
export class Offsite extends pulumi.ComponentResource {
    public readonly bucket: gcp.storage.Bucket;
    public readonly transferJob: gcp.storage.TransferJob;
    public readonly readerRole: aws.iam.Role;

    constructor(name: string, args: OffsiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Offsite", name, {}, opts);
        const gcpOpts = { parent: this, provider: args.gcpProvider };

        const apis = offsiteApis.map(api => new gcp.projects.Service(`${name}-${api.split(".")[0]}`, {
            project: args.gcpProject,
            service: api,
            // Leaving the API on when this stack lets go of it: other users of the project may need it.
            disableOnDestroy: false,
        }, gcpOpts));
        const agent = gcp.storage.getTransferProjectServiceAccountOutput({ project: args.gcpProject },
            { parent: this, provider: args.gcpProvider, dependsOn: apis });

        this.readerRole = new aws.iam.Role(`${name}-reader`, {
            assumeRolePolicy: agent.subjectId.apply(subjectId => stableJson({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Principal: { Federated: "accounts.google.com" },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: { StringEquals: { "accounts.google.com:sub": subjectId } },
                }],
            })),
            maxSessionDuration: 12 * 3600,
            tags: args.tags,
        }, { parent: this });
        const readerPolicy = new aws.iam.RolePolicy(`${name}-reader`, {
            role: this.readerRole.id,
            policy: policyDocument([
                { Sid: "ListBackups", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: [args.sourceBucketArn] },
                { Sid: "ReadBackups", Effect: "Allow", Action: ["s3:GetObject"], Resource: [pulumi.interpolate`${args.sourceBucketArn}/*`] },
                { Sid: "DecryptBackups", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [args.sourceKmsKeyArn] },
            ]),
        }, { parent: this });

        this.bucket = new gcp.storage.Bucket(`${name}-bucket`, {
            project: args.gcpProject,
            location: args.gcpRegion.toUpperCase(),
            storageClass: "NEARLINE",
            // Nothing can be deleted or replaced before it is this old (Bucket Lock). GCS refuses
            // Object Versioning on a bucket with a retention policy, so versioning stays off and
            // soft delete keeps what is deleted after the retention period for a further week.
            // Unlocked, the policy itself could still be removed by a project admin; locking it
            // (offsiteRetentionLocked, docs/runbooks.md) is irreversible, which is the point.
            retentionPolicy: { retentionPeriod: String(args.retentionDays * 86400), isLocked: args.retentionLocked },
            softDeletePolicy: { retentionDurationSeconds: 7 * 86400 },
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            lifecycleRules: [{ condition: { age: 30 }, action: { type: "SetStorageClass", storageClass: "ARCHIVE" } }],
            labels: { "managed-by": "pulumi", project: "autovideo-dr" },
        }, { ...gcpOpts, dependsOn: apis });

        // Least privilege for the agent: Storage Legacy Bucket Writer (get the bucket, list and create
        // objects) and Legacy Object Reader (storage.objects.get, which a transfer that never overwrites
        // needs to see what is there); neither can change the bucket or its retention policy
        // (storage.buckets.update) or its IAM policy ("Configure access to a sink: Cloud Storage").
        const grants = transferAgentRoles.map(role => new gcp.storage.BucketIAMMember(`${name}-agent-${role.split(".").pop()}`, {
            bucket: this.bucket.name,
            role,
            member: pulumi.interpolate`serviceAccount:${agent.email}`,
        }, gcpOpts));

        this.transferJob = new gcp.storage.TransferJob(`${name}-daily`, {
            project: args.gcpProject,
            description: "autovideo-dr: daily copy of the S3 backup bucket to Google Cloud Storage",
            transferSpec: {
                awsS3DataSource: { bucketName: args.sourceBucket, roleArn: this.readerRole.arn },
                gcsDataSink: { bucketName: this.bucket.name },
                objectConditions: { maxTimeElapsedSinceLastModification: `${args.maxAgeDays * 86400}s` },
                // Additive only: a backup removed in S3 (pruned) stays until GCS retention lets it go,
                // and a backup already copied is never replaced (the retention policy would refuse it anyway).
                transferOptions: { deleteObjectsUniqueInSink: false, overwriteWhen: "NEVER" },
            },
            schedule: {
                scheduleStartDate: { year: 2026, month: 1, day: 1 },
                startTimeOfDay: { hours: 19, minutes: 0, seconds: 0, nanos: 0 },
                repeatInterval: "86400s",
            },
        }, { ...gcpOpts, dependsOn: [...grants, readerPolicy] });

        this.registerOutputs({ bucket: this.bucket.name, transferJob: this.transferJob.name, readerRoleArn: this.readerRole.arn });
    }
}
