import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Backups } from "./backups";
import { Cache } from "./cache";
import { Certificate } from "./certificate";
import { Cluster } from "./cluster";
import { Database } from "./database";
import { Encryption } from "./encryption";
import { JobRoles } from "./jobRoles";
import { MediaBuckets } from "./mediaBuckets";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import { Offsite } from "./offsite";
import { BucketReplication } from "./replication";
import { loadSettings } from "./settings";
import { Traffic } from "./traffic";
import { namespaceName, Workloads } from "./workloads";

// Fails here, before any resource is declared, on a bad or missing autovideo-dr:* key.
const settings = loadSettings();

const { rpoSeconds, tags } = settings;

// Explicit providers: every resource states which region it lives in.
const home = new aws.Provider("home", { region: settings.region as aws.Region });
const peerProvider = new aws.Provider("peer", { region: settings.peerRegion as aws.Region });
const inHome = { providers: [home] };

// Only a standby reads its peer: a promoted stack must not depend on the failed region's state.
const peer = settings.role === "standby" ? new pulumi.StackReference(settings.peerStack!) : undefined;
const peerOutput = (name: string) => peer!.requireOutput(name) as pulumi.Output<string>;

const accountId = aws.getCallerIdentityOutput({}, { provider: home }).accountId;
const encryption = new Encryption("autovideo-dr", { peerProvider, tags }, inHome);
const keyArn = encryption.key.arn;

const network = new Network("autovideo-dr", { cidr: settings.vpcCidr, zones: settings.zones, tags }, inHome);
const inVpc = { subnetIds: network.privateSubnetIds, vpcId: network.vpc.id, allowedCidrs: [settings.vpcCidr] };

const database = new Database("autovideo-dr-db", {
    role: settings.role,
    replicaSourceArn: peer ? peerOutput("databaseArn") : undefined,
    createdAsReplica: settings.peerStack !== undefined,
    ...settings.database,
    ...inVpc,
    kmsKeyArn: keyArn,
    peerKmsKeyArn: encryption.peerKey.arn,
    peerProvider,
    tags,
}, inHome);

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
if (peer) {
    new BucketReplication("autovideo-dr-replication", {
        pairs: [
            ...Object.entries(media.buckets).map(([kind, b]) => ({ kind, sourceBucket: peerOutput(`${kind}Bucket`), destinationArn: b.bucket.arn })),
            { kind: "backups", sourceBucket: peerOutput("backupsBucket"), destinationArn: backups.bucket.bucket.arn },
        ],
        sourceKmsKeyArn: peerOutput("kmsKeyArn"),
        destinationKmsKeyArn: keyArn,
        sourceProvider: peerProvider,
        replicationMinutes: rpoSeconds / 60,
        tags,
    }, inHome);
}

const offsite = settings.offsite === undefined ? undefined : new Offsite("autovideo-dr-offsite", {
    ...settings.offsite,
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

const jobRoles = new JobRoles("autovideo-dr-jobs", {
    oidcProviderArn: cluster.oidcProvider.arn,
    oidcIssuer: cluster.oidcIssuer,
    namespace: namespaceName,
    backupBucketArn: backups.bucket.bucket.arn,
    kmsKeyArn: keyArn,
    databaseSecretArn: database.masterSecretArn,
    tags,
}, inHome);

const regionalName = `${settings.region}.${settings.dns.name}`;
const certificate = new Certificate("autovideo-dr-tls", {
    domainName: settings.dns.name, alternativeNames: [regionalName], zoneId: settings.dns.zoneId, tags,
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
        databaseSecretArn: database.masterSecretArn ?? "",
    },
    backupRoleArn: jobRoles.backupRole.arn,
    restoreTestRoleArn: jobRoles.restoreTestRole.arn,
    certificateArn: certificate.arn,
}, { providers: [cluster.provider] });

const healthPath = "/health/ready";
const traffic = new Traffic("autovideo-dr-traffic", {
    role: settings.role,
    stack: settings.stack,
    zoneId: settings.dns.zoneId,
    dnsName: settings.dns.name,
    regionalDnsName: regionalName,
    loadBalancerHostname: workloads.loadBalancerHostname,
    healthPath,
    tags,
}, inHome);

const monitoring = new Monitoring("autovideo-dr-monitoring", {
    role: settings.role,
    rpoSeconds,
    databaseIdentifier: database.instance.identifier,
    backupVaultName: backups.vault.name,
    namespace: namespaceName,
    oncallEmail: settings.oncallEmail,
    k8sProvider: cluster.provider,
    tags,
}, inHome);

// The recovery side's description of this environment (`pulumi stack output --json`);
// the names are documented in docs/architecture.md and read by the peer stack.
export const role = settings.role;
export const region = settings.region;
export const peerRegion = settings.peerRegion;
export const peerStack = settings.peerStack ?? "";
export const kmsKeyArn = keyArn;
export const databaseEndpoint = database.instance.endpoint;
export const databaseAddress = database.instance.address;
export const databasePort = database.instance.port;
export const databaseArn = database.instance.arn;
export const databaseIdentifier = database.instance.identifier;
export const databaseReplicaSource = database.replicaSource;
export const databaseMasterSecretArn = database.masterSecretArn ?? pulumi.output("");
export const uploadsBucket = bucketNames.uploads;
export const modelsBucket = bucketNames.models;
export const generatedBucket = bucketNames.generated;
export const backupsBucket = bucketNames.backups;
export const backupVaultName = backups.vault.name;
export const backupVaultArn = backups.vault.arn;
export const peerBackupVaultArn = backups.peerVaultArn;
export const gcsBucket = offsite?.bucket.name ?? pulumi.output("");
export const cacheEndpoint = cache.group.primaryEndpointAddress;
export const cacheGlobalReplicationGroupId = cache.globalReplicationGroupId;
export const dnsName = settings.dns.name;
export const regionalDnsName = regionalName;
export const healthCheckId = traffic.healthCheck.id;
export const healthCheckUrl = traffic.healthUrl;
export const regionalHealthCheckUrl = traffic.regionalHealthUrl;
export const loadBalancerHostname = workloads.loadBalancerHostname;
export const clusterName = cluster.cluster.name;
export const kubeconfig = cluster.kubeconfig;
export const alertTopicArn = monitoring.topic.arn;
