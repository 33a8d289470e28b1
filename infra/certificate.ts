import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionalName } from "./traffic";

export interface CertificateEnvironment {
    stack: string;
    region: string;
    /** Provider for the environment's region: ACM certificates are regional. */
    provider: aws.Provider;
}

export interface CertificatesArgs {
    /** The shared (failover) name. */
    dnsName: string;
    zoneId: string;
    environments: CertificateEnvironment[];
    /** Provider the Route 53 validation records are written through. */
    dnsProvider: aws.Provider;
    tags: Record<string, string>;
}

/**
 * The public certificates, one per environment in its own region (the load balancer there
 * terminates TLS with it), for the shared name and the region's own name, validated through
 * Route 53. Owned by the global stack, so each validation record has one owner: ACM asks every
 * certificate of a domain name in an account for the same CNAME, whichever region (a second
 * region's certificate finds the first one's record already there; hashicorp/terraform-provider-aws#13653),
 * so two environments writing it would each delete, on destroy, what the other renews against.
 */
export class Certificates extends pulumi.ComponentResource {
    /** Validated certificate ARN by environment stack. */
    public readonly arns: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: CertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Certificates", name, {}, opts);
        const dns = { parent: this, provider: args.dnsProvider };
        const option = (cert: aws.acm.Certificate, domain: string) =>
            cert.domainValidationOptions.apply(o => {
                const found = o.find(v => v.domainName === domain);
                if (found === undefined) throw new Error(`ACM gave no DNS validation record for ${domain}`);
                return found;
            });
        const validationRecord = (recordName: string, cert: aws.acm.Certificate, domain: string) => {
            const o = option(cert, domain);
            return new aws.route53.Record(recordName, {
                zoneId: args.zoneId, name: o.resourceRecordName, type: o.resourceRecordType, records: [o.resourceRecordValue], ttl: 300,
            }, dns);
        };

        let shared: aws.route53.Record | undefined;
        for (const env of args.environments) {
            const own = regionalName(env.region, args.dnsName);
            const cert = new aws.acm.Certificate(`${name}-${env.stack}`, {
                domainName: args.dnsName,
                subjectAlternativeNames: [own],
                validationMethod: "DNS",
                tags: { ...args.tags, "autovideo-dr:environment": env.stack },
            }, { parent: this, provider: env.provider });
            // The shared name's record is written once, from the first certificate; the others validate against it.
            shared ??= validationRecord(`${name}-shared`, cert, args.dnsName);
            const regional = validationRecord(`${name}-${env.stack}-regional`, cert, own);
            const validation = new aws.acm.CertificateValidation(`${name}-${env.stack}`, {
                certificateArn: cert.arn,
                validationRecordFqdns: [shared.fqdn, regional.fqdn],
            }, { parent: this, provider: env.provider, dependsOn: [shared, regional] });
            this.arns[env.stack] = validation.certificateArn;
        }
        this.registerOutputs({ arns: this.arns });
    }
}
