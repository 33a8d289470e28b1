import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PodIdentity, podRoleTrust, policyDocument, Statement } from "./iam";

export interface JobRolesArgs extends PodIdentity {
    namespace: string;
    backupBucketArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    tags: Record<string, string>;
}

/** Service-account names the CronJobs run as; each maps to one role below. */
export const backupServiceAccount = "autovideo-dr-backup";
export const restoreTestServiceAccount = "autovideo-dr-restore-test";
export const pruneServiceAccount = "autovideo-dr-prune";

/**
 * Least-privilege IAM roles for the DR jobs (pod identities via the cluster's OIDC provider). None
 * reads the database secret: the password reaches the pods as a Kubernetes Secret synced by the
 * External Secrets Operator (secretSync.ts).
 *
 * - backup adds backups: PutObject (the bucket policy refuses any PutObject that could overwrite),
 *   with the tier tag and per-object retention set on upload (S3 requires s3:PutObjectTagging and
 *   s3:PutObjectRetention for those headers). It can neither delete nor shorten a lock: no Delete*,
 *   no s3:BypassGovernanceRetention (COMPLIANCE retention cannot be shortened at all; GOVERNANCE only
 *   with that permission).
 * - prune applies the tiers' keep counts: re-tags a backup kept by the daily or weekly tier, extends
 *   its retention to that tier's lock, deletes what no tier keeps. Object Lock refuses to delete a
 *   version still under retention, so prune cannot remove what a tier still protects.
 * - the restore test only reads.
 */
export class JobRoles extends pulumi.ComponentResource {
    public readonly backupRole: aws.iam.Role;
    public readonly restoreTestRole: aws.iam.Role;
    public readonly pruneRole: aws.iam.Role;
    /** The statements granted to each role, as data (tests inspect them). */
    public readonly statements: { backup: Statement[]; restoreTest: Statement[]; prune: Statement[] };

    constructor(name: string, args: JobRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:JobRoles", name, {}, opts);
        const child = { parent: this };
        const objects = pulumi.interpolate`${args.backupBucketArn}/*`;
        const list: Statement = { Sid: "ListBackups", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [args.backupBucketArn] };

        this.statements = {
            backup: [
                list,
                // Read is needed to verify what was written and to find the newest backup.
                {
                    Sid: "WriteBackups", Effect: "Allow",
                    Action: ["s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectRetention", "s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectRetention", "s3:AbortMultipartUpload"],
                    Resource: [objects],
                },
                { Sid: "EncryptBackups", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"], Resource: [args.kmsKeyArn] },
            ],
            restoreTest: [
                list,
                { Sid: "ReadBackups", Effect: "Allow", Action: ["s3:GetObject"], Resource: [objects] },
                { Sid: "DecryptBackups", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [args.kmsKeyArn] },
            ],
            prune: [
                { Sid: "ListBackups", Effect: "Allow", Action: ["s3:ListBucket", "s3:ListBucketVersions"], Resource: [args.backupBucketArn] },
                {
                    Sid: "ApplyRetention", Effect: "Allow",
                    Action: ["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:GetObjectRetention", "s3:PutObjectRetention", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                    Resource: [objects],
                },
                { Sid: "ReadManifests", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [args.kmsKeyArn] },
            ],
        };

        const role = (id: string, serviceAccount: string, statements: Statement[]) => {
            const r = new aws.iam.Role(`${name}-${id}`, { assumeRolePolicy: podRoleTrust(args, args.namespace, serviceAccount), tags: args.tags }, child);
            new aws.iam.RolePolicy(`${name}-${id}`, { role: r.id, policy: policyDocument(statements) }, child);
            return r;
        };
        this.backupRole = role("backup", backupServiceAccount, this.statements.backup);
        this.restoreTestRole = role("restore-test", restoreTestServiceAccount, this.statements.restoreTest);
        this.pruneRole = role("prune", pruneServiceAccount, this.statements.prune);

        this.registerOutputs({ backupRoleArn: this.backupRole.arn, restoreTestRoleArn: this.restoreTestRole.arn, pruneRoleArn: this.pruneRole.arn });
    }
}
