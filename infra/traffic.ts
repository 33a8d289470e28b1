import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** This region's own name (`<region>.<shared name>`): what a region's health check probes and the failover records point at. */
export function regionalName(region: string, dnsName: string): string {
    return `${region}.${dnsName}`;
}

/** The path every service answers readiness on; the health checks and the recovery side probe it. */
export const healthPath = "/health/ready";

export interface TrafficEnvironment {
    stack: string;
    region: string;
}

export interface TrafficArgs {
    zoneId: string;
    /** The shared name clients use. */
    dnsName: string;
    environments: TrafficEnvironment[];
    /** The environment the PRIMARY record sends clients to. */
    primaryStack: string;
    /** Environments forced unhealthy whatever their endpoint answers. */
    fencedStacks: string[];
    tags: Record<string, string>;
}

/**
 * Route 53 failover for the shared name, owned by the global stack alone so that no regional
 * outage can strand it: Route 53's control plane is global, and this component touches no
 * regional API. One HTTPS health check per environment on its regional name, and two failover
 * records keyed by role, not by stack: PRIMARY points at `primaryStack`, SECONDARY at the other.
 * A switch rewrites both records' targets; there are never two PRIMARY records.
 *
 * The fence: an environment in `fencedStacks` has its health check disabled and inverted.
 * Route 53 treats a disabled check as always healthy, and "if you want to stop routing traffic
 * to a resource, change the value of Inverted" (Route 53 API reference, HealthCheckConfig,
 * Disabled): disabled and inverted, the check is always unhealthy, so Route 53 stops answering
 * with that environment even while its endpoint still answers. A fence cannot fail open: the
 * fenced environment is the SECONDARY, and "when the secondary resource record set is unhealthy,
 * Route 53 responds ... with the primary resource record set regardless of the health of the
 * primary" (API reference, ResourceRecordSet, Failover).
 */
export class Traffic extends pulumi.ComponentResource {
    public readonly healthChecks: Record<string, aws.route53.HealthCheck> = {};
    public readonly primaryRecord: aws.route53.Record;
    public readonly secondaryRecord: aws.route53.Record;
    public readonly healthUrl: string;

    constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Traffic", name, {}, opts);
        const child = { parent: this };
        const primary = args.environments.find(e => e.stack === args.primaryStack);
        const secondary = args.environments.find(e => e.stack !== args.primaryStack);
        if (primary === undefined || secondary === undefined || args.fencedStacks.includes(primary.stack)) {
            throw new Error(`Traffic needs an unfenced primary among ${args.environments.map(e => e.stack).join(", ")}`);
        }

        for (const env of args.environments) {
            const fenced = args.fencedStacks.includes(env.stack);
            this.healthChecks[env.stack] = new aws.route53.HealthCheck(`${name}-${env.stack}`, {
                type: "HTTPS",
                fqdn: regionalName(env.region, args.dnsName),
                port: 443,
                resourcePath: healthPath,
                enableSni: true,
                requestInterval: 10,
                failureThreshold: 3,
                measureLatency: true,
                disabled: fenced,
                invertHealthcheck: fenced,
                tags: { ...args.tags, Name: `autovideo-dr-${env.stack}`, "autovideo-dr:fenced": String(fenced) },
            }, child);
        }

        const record = (role: "PRIMARY" | "SECONDARY", env: TrafficEnvironment, extra?: pulumi.CustomResourceOptions) =>
            new aws.route53.Record(`${name}-${role.toLowerCase()}`, {
                zoneId: args.zoneId,
                name: args.dnsName,
                type: "CNAME",
                // Short TTL: clients follow a switch within a minute.
                ttl: 30,
                records: [regionalName(env.region, args.dnsName)],
                setIdentifier: `autovideo-dr-${role.toLowerCase()}`,
                failoverRoutingPolicies: [{ type: role }],
                healthCheckId: this.healthChecks[env.stack].id,
            }, { ...child, ...extra });
        this.primaryRecord = record("PRIMARY", primary);
        // Written after the PRIMARY record: mid-switch both records name the new primary for a moment,
        // never both the old one.
        this.secondaryRecord = record("SECONDARY", secondary, { dependsOn: [this.primaryRecord] });

        this.healthUrl = `https://${args.dnsName}${healthPath}`;
        this.registerOutputs({ primary: primary.stack, healthUrl: this.healthUrl });
    }
}

export interface RegionalNameArgs {
    zoneId: string;
    region: string;
    dnsName: string;
    /** Host name of this region's public load balancer. */
    loadBalancerHostname: pulumi.Input<string>;
}

/**
 * An environment's own DNS name, pointing at its load balancer: the target of the global stack's
 * failover records and health check. Owned by the environment, since only it knows its balancer.
 */
export class RegionalName extends pulumi.ComponentResource {
    public readonly name: string;
    public readonly healthUrl: string;

    constructor(name: string, args: RegionalNameArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:RegionalName", name, {}, opts);
        this.name = regionalName(args.region, args.dnsName);
        // Until the global stack took the failover records, this record was a child of the
        // environment's Traffic component: the alias keeps it the same resource (no create-then-delete
        // of a record Route 53 already holds under that name).
        const formerParent = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::autovideo-dr:index:Traffic::autovideo-dr-traffic`;
        new aws.route53.Record(`${name}-regional`, {
            zoneId: args.zoneId, name: this.name, type: "CNAME", ttl: 60, records: [args.loadBalancerHostname],
        }, { parent: this, aliases: [{ name: "autovideo-dr-traffic-regional", parent: formerParent }] });
        this.healthUrl = `https://${this.name}${healthPath}`;
        this.registerOutputs({ name: this.name });
    }
}
