import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { stableJson } from "./iam";

export interface SecureBucketArgs {
    kmsKeyArn: pulumi.Input<string>;
    /** Object Lock can only be turned on when the bucket is created. */
    objectLockEnabled?: boolean;
    /** Statements the bucket policy carries besides the TLS-only one (a bucket has a single policy). */
    extraStatements?: (arn: string) => Record<string, unknown>[];
    tags: Record<string, string>;
}

/**
 * An S3 bucket with the baseline every bucket of this project has: versioning (replication and
 * recovery of overwritten objects need it), SSE-KMS with the stack's key, all public access
 * blocked, ACLs disabled, and a policy that refuses any request not made over TLS.
 */
export class SecureBucket extends pulumi.ComponentResource {
    public readonly bucket: aws.s3.Bucket;
    public readonly versioning: aws.s3.BucketVersioning;
    public readonly policy: aws.s3.BucketPolicy;

    constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:SecureBucket", name, {}, opts);
        const child = { parent: this };
        this.bucket = new aws.s3.Bucket(name, { objectLockEnabled: args.objectLockEnabled, tags: args.tags }, child);
        const bucket = this.bucket.id;

        this.versioning = new aws.s3.BucketVersioning(`${name}-versioning`, {
            bucket, versioningConfiguration: { status: "Enabled" },
        }, child);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-sse`, {
            bucket,
            rules: [{
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
                bucketKeyEnabled: true,
            }],
        }, child);
        new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
        }, child);
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            bucket, rule: { objectOwnership: "BucketOwnerEnforced" },
        }, child);
        this.policy = new aws.s3.BucketPolicy(`${name}-tls-only`, {
            bucket,
            policy: this.bucket.arn.apply(arn => stableJson({
                Version: "2012-10-17",
                Statement: [{
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [arn, `${arn}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                }, ...(args.extraStatements?.(arn) ?? [])],
            })),
        }, child);
        this.registerOutputs({ bucket: this.bucket.bucket, arn: this.bucket.arn });
    }
}
