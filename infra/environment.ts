import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Backups } from "./backups";
import { tierPolicy } from "./backupTiers";
import { Cache } from "./cache";
import { Cluster } from "./cluster";
import { databaseName, databaseSecretName } from "./credentials";
import { Database } from "./database";
import { Encryption } from "./encryption";
import { JobRoles } from "./jobRoles";
import { MediaBuckets } from "./mediaBuckets";
import { MetricSources, pushgatewayUrl } from "./metricSources";
import { Monitoring, monitoringNamespace } from "./monitoring";
import { Network } from "./network";
import { Offsite } from "./offsite";
import { BucketReplication } from "./replication";
import { databaseCredentialsSecret, SecretSync } from "./secretSync";
import { Settings } from "./settings";
import { healthPath, RegionalName } from "./traffic";
import { namespaceName, Workloads } from "./workloads";

/**
 * An environment stack (prod, dr): everything of one region, its role (primary or standby)
 * deciding the direction of data. Returns the stack outputs, the recovery side's description of
 * the environment (docs/architecture.md, "Stack outputs").
 */
export function declareEnvironment(settings: Settings): Record<string, unknown> {
    const { rpoSeconds, tags } = settings;

    // Explicit providers: every resource states which region it lives in. The peer provider takes
    // its credentials from this region's STS: while the peer region is down, the provider must still
    // configure, so the steps that do not touch that region can go on.
    const home = new aws.Provider("home", { region: settings.region as aws.Region });
    const peerProvider = new aws.Provider("peer", { region: settings.peerRegion as aws.Region, stsRegion: settings.region });
    const inHome = { providers: [home] };

    // What both environments share comes from the global stack (the Pulumi backend, not AWS, so it
    // reads while a region is down). Only a standby reads its peer: a promoted stack must not depend
    // on the failed region's state.
    const global = new pulumi.StackReference(settings.globalStack);
    const fromGlobal = <T>(output: string, key: string, what: string) => global.requireOutput(output).apply((m: Record<string, T>) => {
        if (m?.[key] === undefined) {
            throw new Error(`the global stack ${settings.globalStack} has no ${what} for ${key} (output ${output}); add {stack: ${settings.stack}, region: ${settings.region}} to its autovideo-dr:environments and run pulumi up -s global first`);
        }
        return m[key];
    });
    const peer = settings.role === "standby" ? new pulumi.StackReference(settings.peerStack!) : undefined;
    const peerOutput = (name: string) => peer!.requireOutput(name) as pulumi.Output<string>;

    const accountId = aws.getCallerIdentityOutput({}, { provider: home }).accountId;
    const encryption = new Encryption("autovideo-dr", { peerProvider, tags }, inHome);
    const keyArn = encryption.key.arn;

    const network = new Network("autovideo-dr", { cidr: settings.vpcCidr, zones: settings.zones, tags }, inHome);
    const inVpc = { subnetIds: network.privateSubnetIds, vpcId: network.vpc.id, allowedCidrs: [settings.vpcCidr] };

    const { generation, ...dbSettings } = settings.database;
    // A generation after the first was created as a replica (failback), as is a stack that has a peer.
    const createdAsReplica = settings.peerStack !== undefined || generation > 1;
    const fresh = settings.role === "primary" && !createdAsReplica && dbSettings.restore === undefined;
    const database = new Database("autovideo-dr-db", {
        role: settings.role,
        replicaSourceArn: peer ? peerOutput("databaseArn") : undefined,
        createdAsReplica,
        generation,
        masterPassword: fresh ? global.requireOutput("databasePassword") as pulumi.Output<string> : undefined,
        ...dbSettings,
        ...inVpc,
        kmsKeyArn: keyArn,
        peerKmsKeyArn: encryption.peerKey.arn,
        peerProvider,
        tags,
    }, inHome);
    const databaseSecretArn = fromGlobal<string>("databaseSecretArns", settings.region, "database secret");

    const cache = new Cache("autovideo-dr-cache", {
        role: settings.role,
        peerGlobalReplicationGroupId: peer ? peerOutput("cacheGlobalReplicationGroupId") : undefined,
        nodeType: settings.cache.nodeType,
        zoneCount: settings.zones.length,
        ...inVpc,
        kmsKeyArn: keyArn,
        tags,
    }, inHome);

    const media = new MediaBuckets("autovideo-dr", { kmsKeyArn: keyArn, tags }, inHome);
    const backups = new Backups("autovideo-dr-backups", {
        region: settings.region,
        peerRegion: settings.peerRegion,
        accountId,
        kmsKeyArn: keyArn,
        ...settings.backups,
        tiers: tierPolicy,
        // A read replica cannot be backed up by AWS Backup; it is covered by its primary's plan.
        protectedArns: [
            ...(settings.role === "primary" ? [database.instance.arn] : []),
            ...Object.values(media.buckets).map(b => b.bucket.arn),
        ],
        tags,
    }, inHome);

    const bucketNames = {
        uploads: media.buckets.uploads.bucket.bucket,
        models: media.buckets.models.bucket.bucket,
        generated: media.buckets.generated.bucket.bucket,
        backups: backups.bucket.bucket.bucket,
    };
    const replication = peer === undefined ? undefined : new BucketReplication("autovideo-dr-replication", {
        accountId,
        sourceRegion: settings.peerRegion,
        pairs: [
            ...Object.entries(media.buckets).map(([kind, b]) => ({
                kind, sourceBucket: peerOutput(`${kind}Bucket`), destinationArn: b.bucket.arn, destinationReady: [b.versioning],
            })),
            {
                kind: "backups", sourceBucket: peerOutput("backupsBucket"), destinationArn: backups.bucket.bucket.arn,
                destinationReady: [backups.bucket.versioning, backups.lock],
            },
        ],
        sourceKmsKeyArn: peerOutput("kmsKeyArn"),
        destinationKmsKeyArn: keyArn,
        sourceProvider: peerProvider,
        replicationMinutes: rpoSeconds / 60,
        tags,
    }, inHome);

    const offsite = settings.offsite === undefined ? undefined : new Offsite("autovideo-dr-offsite", {
        ...settings.offsite,
        // A day younger than the earliest move to cold storage: the transfer only reads what S3 still holds warm.
        maxAgeDays: Math.min(...tierPolicy.tiers.filter(t => t.coldAfterDays !== null).map(t => t.coldAfterDays!)) - 1,
        sourceBucket: bucketNames.backups,
        sourceBucketArn: backups.bucket.bucket.arn,
        sourceKmsKeyArn: keyArn,
        gcpProvider: new gcp.Provider("offsite", { project: settings.offsite.gcpProject, region: settings.offsite.gcpRegion }),
        tags,
    }, inHome);

    const cluster = new Cluster("autovideo-dr", {
        role: settings.role,
        region: settings.region,
        zones: settings.zones,
        privateSubnetIds: network.privateSubnetIds,
        publicSubnetIds: network.publicSubnetIds,
        ...settings.cluster,
        kmsKeyArn: keyArn,
        tags,
    }, inHome);
    const identity = { oidcProviderArn: cluster.oidcProvider.arn, oidcIssuer: cluster.oidcIssuer };

    const jobRoles = new JobRoles("autovideo-dr-jobs", {
        ...identity,
        namespace: namespaceName,
        backupBucketArn: backups.bucket.bucket.arn,
        kmsKeyArn: keyArn,
        tags,
    }, inHome);

    const workloads = new Workloads("autovideo", {
        role: settings.role,
        stack: settings.stack,
        region: settings.region,
        ...settings.workloads,
        endpoints: {
            databaseAddress: database.instance.address,
            databasePort: database.instance.port,
            cacheEndpoint: cache.group.primaryEndpointAddress,
            uploadsBucket: bucketNames.uploads,
            modelsBucket: bucketNames.models,
            generatedBucket: bucketNames.generated,
            backupsBucket: bucketNames.backups,
            databaseSecretArn,
        },
        jobRoleArns: {
            "autovideo-dr-backup": jobRoles.backupRole.arn,
            "autovideo-dr-prune": jobRoles.pruneRole.arn,
            "autovideo-dr-restore-test": jobRoles.restoreTestRole.arn,
        },
        certificateArn: fromGlobal<string>("certificateArns", settings.stack, "certificate"),
    }, { providers: [cluster.provider] });
    const regional = new RegionalName("autovideo-dr-dns", {
        zoneId: settings.dns.zoneId, region: settings.region, dnsName: settings.dns.name, loadBalancerHostname: workloads.loadBalancerHostname,
    }, inHome);

    const monitoring = new Monitoring("autovideo-dr-monitoring", {
        ...identity,
        role: settings.role,
        region: settings.region,
        rpoSeconds,
        databaseIdentifier: database.instance.identifier,
        backupVaultName: backups.vault.name,
        namespace: namespaceName,
        oncallEmail: settings.oncallEmail,
        alertWebhookUrl: settings.alertWebhookUrl,
        k8sProvider: cluster.provider,
        tags,
    }, inHome);

    const secretSync = new SecretSync("autovideo-dr-secrets", {
        ...identity,
        region: settings.region,
        databaseSecretName,
        databaseSecretArn,
        namespaces: [
            { name: namespaceName, createdBy: workloads.namespace },
            { name: monitoringNamespace, createdBy: monitoring.prometheus },
        ],
        k8sProvider: cluster.provider,
        tags,
    }, inHome);

    new MetricSources("autovideo-dr-metrics", {
        ...identity,
        stack: settings.stack,
        region: settings.region,
        peerRegion: settings.peerRegion,
        databaseAddress: database.instance.address,
        databasePort: database.instance.port,
        databaseName,
        prometheus: monitoring.prometheus,
        credentials: secretSync.externalSecrets,
        storageClass: cluster.storageClass.metadata.name,
        k8sProvider: cluster.provider,
        tags,
    }, inHome);

    return {
        role: settings.role,
        region: settings.region,
        peerRegion: settings.peerRegion,
        peerStack: settings.peerStack ?? "",
        globalStack: settings.globalStack,
        kmsKeyArn: keyArn,
        databaseEndpoint: database.instance.endpoint,
        databaseAddress: database.instance.address,
        databasePort: database.instance.port,
        databaseArn: database.instance.arn,
        databaseIdentifier: database.instance.identifier,
        databaseReplicaSource: database.replicaSource,
        databaseGeneration: generation,
        databaseMasterSecretArn: databaseSecretArn,
        databaseSecretName,
        databaseCredentialsSecret: `${namespaceName}/${databaseCredentialsSecret}`,
        uploadsBucket: bucketNames.uploads,
        modelsBucket: bucketNames.models,
        generatedBucket: bucketNames.generated,
        backupsBucket: bucketNames.backups,
        backupVaultName: backups.vault.name,
        backupVaultArn: backups.vault.arn,
        peerBackupVaultArn: backups.peerVaultArn,
        batchReplicationJobs: pulumi.output(replication?.batchJobs ?? {}),
        gcsBucket: offsite?.bucket.name ?? pulumi.output(""),
        offsiteTransferRoleArn: offsite?.readerRole.arn ?? pulumi.output(""),
        cacheEndpoint: cache.group.primaryEndpointAddress,
        cacheRole: cache.role,
        cacheGlobalReplicationGroupId: cache.globalReplicationGroupId,
        dnsName: settings.dns.name,
        regionalDnsName: regional.name,
        healthCheckId: fromGlobal<string>("healthCheckIds", settings.stack, "health check"),
        healthCheckUrl: `https://${settings.dns.name}${healthPath}`,
        regionalHealthCheckUrl: regional.healthUrl,
        loadBalancerHostname: workloads.loadBalancerHostname,
        clusterName: cluster.cluster.name,
        kubeconfig: cluster.kubeconfig,
        alertTopicArn: monitoring.topic.arn,
        pushgatewayUrl,
    };
}
