import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PodIdentity, podRoleTrust, policyDocument } from "./iam";

/**
 * The Kubernetes Secret with the database credentials, in every namespace that needs them
 * (`autovideo` for the DR jobs, `monitoring` for the PostgreSQL exporter). Keys: PGPASSWORD and
 * PGUSER, the names libpq and Npgsql read from the environment.
 */
export const databaseCredentialsSecret = "autovideo-dr-database";
export const databaseCredentialsKeys = { password: "PGPASSWORD", user: "PGUSER" } as const;

export const externalSecretsNamespace = "external-secrets";
export const externalSecretsServiceAccount = "autovideo-dr-external-secrets";
export const secretStoreName = "autovideo-dr-secrets-manager";

export interface SecretSyncArgs extends PodIdentity {
    /** This environment's region: the secret (or its replica) is read there. */
    region: string;
    /** Name of the Secrets Manager secret (the same in both regions). */
    databaseSecretName: string;
    /** Its ARN in this region. */
    databaseSecretArn: pulumi.Input<string>;
    /** Namespaces that receive the Kubernetes Secret, with what creates them. */
    namespaces: { name: string; createdBy: pulumi.Resource }[];
    k8sProvider: k8s.Provider;
    tags: Record<string, string>;
}

/**
 * The database password into the cluster, by an established mechanism: the External Secrets
 * Operator syncs the Secrets Manager secret of this region (the global stack's secret or its
 * replica) into a Kubernetes Secret. It works the same in both regions and after a promotion,
 * and needs nothing from the other region. The operator's pod identity may read that one secret.
 */
export class SecretSync extends pulumi.ComponentResource {
    public readonly role: aws.iam.Role;
    public readonly operator: k8s.helm.v3.Release;
    public readonly externalSecrets: k8s.apiextensions.CustomResource[];

    constructor(name: string, args: SecretSyncArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:SecretSync", name, {}, opts);
        const inCluster = { parent: this, provider: args.k8sProvider };

        this.role = new aws.iam.Role(`${name}-operator`, {
            assumeRolePolicy: podRoleTrust(args, externalSecretsNamespace, externalSecretsServiceAccount), tags: args.tags,
        }, { parent: this });
        new aws.iam.RolePolicy(`${name}-operator`, {
            role: this.role.id,
            policy: policyDocument([{
                Sid: "ReadDatabaseCredentials", Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: [args.databaseSecretArn],
            }]),
        }, { parent: this });

        this.operator = new k8s.helm.v3.Release(`${name}-operator`, {
            name: "external-secrets",
            chart: "external-secrets",
            version: "2.0.0",
            repositoryOpts: { repo: "https://charts.external-secrets.io" },
            namespace: externalSecretsNamespace,
            createNamespace: true,
            values: {
                installCRDs: true,
                serviceAccount: { name: externalSecretsServiceAccount, annotations: { "eks.amazonaws.com/role-arn": this.role.arn } },
            },
        }, inCluster);

        // No auth block: the store uses the operator's own pod identity (the role above).
        const store = new k8s.apiextensions.CustomResource(`${name}-store`, {
            apiVersion: "external-secrets.io/v1",
            kind: "ClusterSecretStore",
            metadata: { name: secretStoreName },
            spec: { provider: { aws: { service: "SecretsManager", region: args.region } } },
        }, { ...inCluster, dependsOn: [this.operator] });

        this.externalSecrets = args.namespaces.map(ns => new k8s.apiextensions.CustomResource(`${name}-${ns.name}`, {
            apiVersion: "external-secrets.io/v1",
            kind: "ExternalSecret",
            metadata: { name: databaseCredentialsSecret, namespace: ns.name },
            spec: {
                refreshInterval: "1h",
                secretStoreRef: { kind: "ClusterSecretStore", name: secretStoreName },
                target: { name: databaseCredentialsSecret, creationPolicy: "Owner" },
                data: [
                    { secretKey: databaseCredentialsKeys.password, remoteRef: { key: args.databaseSecretName, property: "password" } },
                    { secretKey: databaseCredentialsKeys.user, remoteRef: { key: args.databaseSecretName, property: "username" } },
                ],
            },
        }, { ...inCluster, dependsOn: [store, ns.createdBy] }));

        this.registerOutputs({ roleArn: this.role.arn });
    }
}
