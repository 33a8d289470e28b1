import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Certificates } from "./certificate";
import { databaseSecretName, DatabaseSecret } from "./credentials";
import { GlobalSettings } from "./settings";
import { regionalName, Traffic } from "./traffic";

/**
 * The global stack: what both environments share and neither may own, because a region's loss,
 * a failover or a `pulumi destroy` of one environment must not take it along. The failover DNS
 * records and health checks with the operator's fence, the public certificates and their
 * validation records, and the database credentials. During a regional outage this stack is the
 * only one the failover updates before the promotion, and the update calls Route 53 alone.
 */
export function declareGlobal(settings: GlobalSettings): Record<string, unknown> {
    const { tags } = settings;
    // Route 53 is managed through the control region (its control plane is us-east-1), and every
    // provider validates its credentials there too: an environment region that is down must not
    // stop the providers from configuring (the AWS provider calls STS in its sts_region).
    const control = new aws.Provider("control", { region: settings.controlRegion as aws.Region });
    const providers = Object.fromEntries(settings.environments.map(e => [e.stack, new aws.Provider(`region-${e.stack}`, {
        region: e.region as aws.Region, stsRegion: settings.controlRegion,
    })]));

    const traffic = new Traffic("autovideo-dr-traffic", {
        zoneId: settings.dns.zoneId,
        dnsName: settings.dns.name,
        environments: settings.environments,
        primaryStack: settings.primaryStack,
        fencedStacks: settings.fencedStacks,
        tags,
    }, { providers: [control] });

    const certificates = new Certificates("autovideo-dr-tls", {
        dnsName: settings.dns.name,
        zoneId: settings.dns.zoneId,
        environments: settings.environments.map(e => ({ ...e, provider: providers[e.stack] })),
        dnsProvider: control,
        tags,
    });

    const [home, ...others] = settings.environments;
    const credentials = new DatabaseSecret("autovideo-dr-database", {
        homeRegion: home.region,
        homeProvider: providers[home.stack],
        replicaRegions: others.map(e => e.region),
        tags,
    });

    const byStack = <T>(f: (stack: string) => pulumi.Input<T>) => pulumi.output(Object.fromEntries(settings.environments.map(e => [e.stack, f(e.stack)])));
    return {
        scope: "global",
        dnsName: settings.dns.name,
        healthCheckUrl: traffic.healthUrl,
        environments: settings.environments,
        primaryStack: settings.primaryStack,
        fencedStacks: settings.fencedStacks,
        regionalDnsNames: byStack(stack => regionalName(settings.environments.find(e => e.stack === stack)!.region, settings.dns.name)),
        healthCheckIds: byStack(stack => traffic.healthChecks[stack].id),
        certificateArns: byStack(stack => certificates.arns[stack]),
        databaseSecretName,
        databaseSecretArns: pulumi.output(credentials.arns),
        databasePassword: credentials.password,
    };
}
