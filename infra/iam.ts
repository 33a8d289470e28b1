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
    return pulumi.output(statements).apply(s => JSON.stringify({ Version: "2012-10-17", Statement: s }));
}

/** Trust policy letting an AWS service assume a role. */
export function serviceTrust(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}
