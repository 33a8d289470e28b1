import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./iam";

export interface OffsiteArgs {
    gcpProject: string;
    gcpRegion: string;
    retentionDays: number;
    /** The S3 backup bucket the daily transfer reads. */
    sourceBucket: pulumi.Input<string>;
    sourceBucketArn: pulumi.Input<string>;
    sourceKmsKeyArn: pulumi.Input<string>;
    /** Key of the reader user below, from config as a Pulumi secret. */
    awsAccessKeyId: pulumi.Input<string>;
    awsSecretAccessKey: pulumi.Input<string>;
    gcpProvider: gcp.Provider;
    tags: Record<string, string>;
}

/**
 * The plan's off-site copy in another cloud (異地備份: AWS S3, Google Cloud): a GCS bucket with
 * a retention policy and soft delete, fed daily by a Storage Transfer job from the S3 backup
 * bucket, so losing the AWS account or both regions still leaves the backups.
 */
export class Offsite extends pulumi.ComponentResource {
    public readonly bucket: gcp.storage.Bucket;
    public readonly transferJob: gcp.storage.TransferJob;
    public readonly readerUser: aws.iam.User;

    constructor(name: string, args: OffsiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Offsite", name, {}, opts);
        const gcpOpts = { parent: this, provider: args.gcpProvider };

        // The transfer's AWS identity can list and read the backups, nothing else; its access key is
        // created out of band and handed to this stack as a secret.
        this.readerUser = new aws.iam.User(`${name}-reader`, { tags: args.tags }, { parent: this });
        new aws.iam.UserPolicy(`${name}-reader`, {
            user: this.readerUser.name,
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
            retentionPolicy: { retentionPeriod: String(args.retentionDays * 86400) },
            softDeletePolicy: { retentionDurationSeconds: 7 * 86400 },
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            lifecycleRules: [{ condition: { age: 30 }, action: { type: "SetStorageClass", storageClass: "ARCHIVE" } }],
            labels: { "managed-by": "pulumi", project: "autovideo-dr" },
        }, gcpOpts);

        const transferAccount = gcp.storage.getTransferProjectServiceAccountOutput({ project: args.gcpProject }, { parent: this, provider: args.gcpProvider });
        const writer = new gcp.storage.BucketIAMMember(`${name}-transfer-writer`, {
            bucket: this.bucket.name,
            role: "roles/storage.admin",
            member: pulumi.interpolate`serviceAccount:${transferAccount.email}`,
        }, gcpOpts);

        this.transferJob = new gcp.storage.TransferJob(`${name}-daily`, {
            project: args.gcpProject,
            description: "autovideo-dr: daily copy of the S3 backup bucket to Google Cloud Storage",
            transferSpec: {
                awsS3DataSource: {
                    bucketName: args.sourceBucket,
                    awsAccessKey: { accessKeyId: args.awsAccessKeyId, secretAccessKey: args.awsSecretAccessKey },
                },
                gcsDataSink: { bucketName: this.bucket.name },
                // Additive only: a backup removed in S3 (expired tier) stays until GCS retention lets it go.
                transferOptions: { deleteObjectsUniqueInSink: false, overwriteWhen: "DIFFERENT" },
            },
            schedule: {
                scheduleStartDate: { year: 2026, month: 1, day: 1 },
                startTimeOfDay: { hours: 19, minutes: 0, seconds: 0, nanos: 0 },
                repeatInterval: "86400s",
            },
        }, { ...gcpOpts, dependsOn: [writer] });

        this.registerOutputs({ bucket: this.bucket.name, transferJob: this.transferJob.name });
    }
}
