import * as pulumi from "@pulumi/pulumi";

/** IAM policy documents as plain data, so tests can read exactly what a role may do. */
export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource: pulumi.Input<string>[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export function policyDocument(statements: Statement[]): pulumi.Output<string> {
    // pulumi.output resolves the Inputs nested in the statements (ARNs of other resources).
    return pulumi.output(statements).apply(s => stableJson({ Version: "2012-10-17", Statement: s }));
}

/**
 * JSON with every object's keys in sorted order: the same policy always serializes to the same
 * text, whatever order the code assembled it in, so a preview never shows a policy diff that
 * changes nothing (IAM and S3 compare policies as text in the provider's diff).
 */
export function stableJson(value: unknown): string {
    const sort = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(sort)
        : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v as object).sort().map(k => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
    return JSON.stringify(sort(value));
}

/** Trust policy letting an AWS service assume a role. */
export function serviceTrust(service: string): string {
    return stableJson({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}

/** Where pods present their tokens: the cluster's OIDC provider (IAM roles for service accounts). */
export interface PodIdentity {
    oidcProviderArn: pulumi.Input<string>;
    /** The issuer URL, https:// included or not. */
    oidcIssuer: pulumi.Input<string>;
}

/** Trust policy letting exactly one Kubernetes service account assume a role (EKS IRSA). */
export function podRoleTrust(identity: PodIdentity, namespace: string, serviceAccount: string): pulumi.Output<string> {
    return pulumi.all([identity.oidcProviderArn, identity.oidcIssuer]).apply(([arn, issuer]) => {
        const host = issuer.replace(/^https:\/\//, "");
        return stableJson({
            Version: "2012-10-17",
            Statement: [{
                Effect: "Allow",
                Principal: { Federated: arn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { [`${host}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`, [`${host}:aud`]: "sts.amazonaws.com" } },
            }],
        });
    });
}
