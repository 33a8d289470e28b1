import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument, serviceTrust } from "./iam";

export interface ReplicatedBucket {
    /** A short name for the pair, e.g. "uploads". */
    kind: string;
    /** Name of the primary's bucket, in the peer region. */
    sourceBucket: pulumi.Input<string>;
    /** ARN of this stack's bucket that receives the copies. */
    destinationArn: pulumi.Input<string>;
}

export interface BucketReplicationArgs {
    pairs: ReplicatedBucket[];
    /** The primary's KMS key, which encrypts the source objects. */
    sourceKmsKeyArn: pulumi.Input<string>;
    /** This stack's key, which encrypts the replicas. */
    destinationKmsKeyArn: pulumi.Input<string>;
    /** Provider for the primary's region: the replication rules live on the primary's buckets. */
    sourceProvider: aws.Provider;
    /** Replication time control bound; 15 minutes matches the critical RPO. */
    replicationMinutes: number;
    tags: Record<string, string>;
}

/**
 * Replication of the primary's buckets into this (standby) stack's buckets. The standby owns these
 * rules so `pulumi up -s dr` alone wires the flow into it; after a switch the new standby owns them.
 */
export class BucketReplication extends pulumi.ComponentResource {
    public readonly role: aws.iam.Role;
    public readonly configs: aws.s3.BucketReplicationConfig[];

    constructor(name: string, args: BucketReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:BucketReplication", name, {}, opts);
        const child = { parent: this };
        const sourceArns = args.pairs.map(p => pulumi.interpolate`arn:aws:s3:::${p.sourceBucket}`);

        this.role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: serviceTrust("s3.amazonaws.com"), tags: args.tags }, child);
        new aws.iam.RolePolicy(`${name}-policy`, {
            role: this.role.id,
            policy: policyDocument([
                { Sid: "ReadReplicationConfig", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: sourceArns },
                {
                    Sid: "ReadSourceVersions", Effect: "Allow",
                    Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
                    Resource: sourceArns.map(a => pulumi.interpolate`${a}/*`),
                },
                {
                    Sid: "WriteReplicas", Effect: "Allow",
                    Action: ["s3:ReplicateObject", "s3:ReplicateTags"],
                    Resource: args.pairs.map(p => pulumi.interpolate`${p.destinationArn}/*`),
                },
                { Sid: "DecryptSource", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [args.sourceKmsKeyArn] },
                { Sid: "EncryptReplica", Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: [args.destinationKmsKeyArn] },
            ]),
        }, child);

        this.configs = args.pairs.map(pair => new aws.s3.BucketReplicationConfig(`${name}-${pair.kind}`, {
            bucket: pair.sourceBucket,
            role: this.role.arn,
            rules: [{
                id: `to-standby-${pair.kind}`,
                status: "Enabled",
                priority: 1,
                filter: {},
                // A deletion on the primary must not propagate: the standby's copy is what a
                // mistaken or malicious delete is recovered from.
                deleteMarkerReplication: { status: "Disabled" },
                sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                destination: {
                    bucket: pair.destinationArn,
                    storageClass: "STANDARD",
                    encryptionConfiguration: { replicaKmsKeyId: args.destinationKmsKeyArn },
                    replicationTime: { status: "Enabled", time: { minutes: args.replicationMinutes } },
                    metrics: { status: "Enabled", eventThreshold: { minutes: args.replicationMinutes } },
                },
            }],
        }, { parent: this, provider: args.sourceProvider }));

        this.registerOutputs({ roleArn: this.role.arn });
    }
}
