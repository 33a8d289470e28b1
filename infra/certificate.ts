import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface CertificateArgs {
    /** The shared (failover) name and this region's own name. */
    domainName: string;
    alternativeNames: string[];
    zoneId: string;
    tags: Record<string, string>;
}

/** An ACM certificate for the public names, validated through Route 53, so traffic and health checks use TLS. */
export class Certificate extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: CertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Certificate", name, {}, opts);
        const child = { parent: this };
        const cert = new aws.acm.Certificate(name, {
            domainName: args.domainName,
            subjectAlternativeNames: args.alternativeNames,
            validationMethod: "DNS",
            tags: args.tags,
        }, child);
        const names = [args.domainName, ...args.alternativeNames];
        const records = names.map((domain, i) => new aws.route53.Record(`${name}-validation-${i}`, {
            zoneId: args.zoneId,
            name: cert.domainValidationOptions.apply(o => o.find(v => v.domainName === domain)?.resourceRecordName ?? ""),
            type: cert.domainValidationOptions.apply(o => o.find(v => v.domainName === domain)?.resourceRecordType ?? "CNAME"),
            records: [cert.domainValidationOptions.apply(o => o.find(v => v.domainName === domain)?.resourceRecordValue ?? "")],
            ttl: 300,
            // Both stacks certify the shared name; ACM gives them the same validation record.
            allowOverwrite: true,
        }, child));
        const validation = new aws.acm.CertificateValidation(name, {
            certificateArn: cert.arn,
            validationRecordFqdns: records.map(r => r.fqdn),
        }, child);
        this.arn = validation.certificateArn;
        this.registerOutputs({ arn: this.arn });
    }
}
