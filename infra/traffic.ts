import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Role } from "./settings";

export interface TrafficArgs {
    role: Role;
    stack: string;
    zoneId: string;
    /** The shared name clients use; it fails over between the regions. */
    dnsName: string;
    /** This region's own name, for probing one region directly. */
    regionalDnsName: string;
    /** Host name of this region's public load balancer. */
    loadBalancerHostname: pulumi.Input<string>;
    healthPath: string;
    tags: Record<string, string>;
}

/**
 * Route 53 failover: a health check on this region's entry point and a failover record for the
 * shared name, PRIMARY on the primary stack and SECONDARY on the standby. Route 53 answers with
 * the secondary as soon as the primary's health check fails, and the roles flip with promotion.
 */
export class Traffic extends pulumi.ComponentResource {
    public readonly healthCheck: aws.route53.HealthCheck;
    public readonly failoverRecord: aws.route53.Record;
    public readonly healthUrl: pulumi.Output<string>;
    public readonly regionalHealthUrl: pulumi.Output<string>;

    constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Traffic", name, {}, opts);
        const child = { parent: this };
        const failoverType = args.role === "primary" ? "PRIMARY" : "SECONDARY";

        this.healthCheck = new aws.route53.HealthCheck(`${name}-health`, {
            type: "HTTPS",
            fqdn: args.regionalDnsName,
            port: 443,
            resourcePath: args.healthPath,
            enableSni: true,
            requestInterval: 10,
            failureThreshold: 3,
            measureLatency: true,
            tags: { ...args.tags, Name: `autovideo-dr-${args.stack}` },
        }, child);

        new aws.route53.Record(`${name}-regional`, {
            zoneId: args.zoneId, name: args.regionalDnsName, type: "CNAME", ttl: 60, records: [args.loadBalancerHostname],
        }, child);
        this.failoverRecord = new aws.route53.Record(`${name}-failover`, {
            zoneId: args.zoneId,
            name: args.dnsName,
            type: "CNAME",
            // Short TTL: clients follow a failover within a minute.
            ttl: 30,
            records: [args.loadBalancerHostname],
            setIdentifier: `autovideo-dr-${args.stack}`,
            failoverRoutingPolicies: [{ type: failoverType }],
            healthCheckId: this.healthCheck.id,
        }, child);

        this.healthUrl = pulumi.output(`https://${args.dnsName}${args.healthPath}`);
        this.regionalHealthUrl = pulumi.output(`https://${args.regionalDnsName}${args.healthPath}`);
        this.registerOutputs({ healthCheckId: this.healthCheck.id, healthUrl: this.healthUrl, regionalHealthUrl: this.regionalHealthUrl });
    }
}
