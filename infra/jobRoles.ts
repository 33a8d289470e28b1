import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument, Statement } from "./iam";

export interface JobRolesArgs {
    /** The cluster's OIDC provider, whose tokens the pods present. */
    oidcProviderArn: pulumi.Input<string>;
    oidcIssuer: pulumi.Input<string>;
    namespace: string;
    backupBucketArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    /** The database's credentials, when this stack holds them (a replica's come from its source). */
    databaseSecretArn?: pulumi.Input<string>;
    tags: Record<string, string>;
}

/** Service-account names the CronJobs run as; each maps to one role below. */
export const backupServiceAccount = "autovideo-dr-backup";
export const restoreTestServiceAccount = "autovideo-dr-restore-test";

/**
 * Least-privilege IAM roles for the DR jobs (pod identities via the cluster's OIDC provider).
 * The backup job may add backups but never delete or shorten them; with Object Lock on the
 * bucket, a compromised job cannot destroy what is already there. The restore test only reads.
 */
export class JobRoles extends pulumi.ComponentResource {
    public readonly backupRole: aws.iam.Role;
    public readonly restoreTestRole: aws.iam.Role;
    /** The statements granted to the backup role, as data (tests inspect them). */
    public readonly backupStatements: Statement[];

    constructor(name: string, args: JobRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:JobRoles", name, {}, opts);
        const child = { parent: this };
        const issuer = pulumi.output(args.oidcIssuer).apply(u => u.replace(/^https:\/\//, ""));
        const trust = (serviceAccount: string) => pulumi.all([args.oidcProviderArn, issuer]).apply(([arn, host]) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [{
                Effect: "Allow",
                Principal: { Federated: arn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { [`${host}:sub`]: `system:serviceaccount:${args.namespace}:${serviceAccount}`, [`${host}:aud`]: "sts.amazonaws.com" } },
            }],
        }));
        const objects = pulumi.interpolate`${args.backupBucketArn}/*`;
        const readDatabaseSecret: Statement[] = args.databaseSecretArn === undefined ? [] : [
            { Sid: "ReadDatabaseCredentials", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [args.databaseSecretArn] },
        ];

        this.backupStatements = [
            { Sid: "ListBackups", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [args.backupBucketArn] },
            // Read is needed to verify what was written and to find the newest backup.
            { Sid: "WriteBackups", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], Resource: [objects] },
            { Sid: "EncryptBackups", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"], Resource: [args.kmsKeyArn] },
            ...readDatabaseSecret,
        ];
        this.backupRole = new aws.iam.Role(`${name}-backup`, { assumeRolePolicy: trust(backupServiceAccount), tags: args.tags }, child);
        new aws.iam.RolePolicy(`${name}-backup`, { role: this.backupRole.id, policy: policyDocument(this.backupStatements) }, child);

        this.restoreTestRole = new aws.iam.Role(`${name}-restore-test`, { assumeRolePolicy: trust(restoreTestServiceAccount), tags: args.tags }, child);
        new aws.iam.RolePolicy(`${name}-restore-test`, {
            role: this.restoreTestRole.id,
            policy: policyDocument([
                { Sid: "ListBackups", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [args.backupBucketArn] },
                { Sid: "ReadBackups", Effect: "Allow", Action: ["s3:GetObject"], Resource: [objects] },
                { Sid: "DecryptBackups", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [args.kmsKeyArn] },
                ...readDatabaseSecret,
            ]),
        }, child);

        this.registerOutputs({ backupRoleArn: this.backupRole.arn, restoreTestRoleArn: this.restoreTestRole.arn });
    }
}
