import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { PodIdentity, podRoleTrust, policyDocument } from "./iam";
import { monitoringNamespace } from "./monitoring";
import { databaseCredentialsKeys, databaseCredentialsSecret } from "./secretSync";

/** Where the DR jobs push their results (`--metrics-push`); Prometheus scrapes it with honor_labels. */
export const pushgatewayService = "prometheus-pushgateway";
export const pushgatewayUrl = `http://${pushgatewayService}.${monitoringNamespace}.svc.cluster.local:9091`;

/** The scrape job name of the PostgreSQL exporter; the rules select `up{job="postgres"}`. */
export const postgresScrapeJob = "postgres";

/**
 * The PostgreSQL exporter's custom queries: one file in the repository, the same the local
 * environment's exporter loads (monitoring/postgres-exporter-queries.yaml, --extend.query-path).
 */
export const postgresQueriesFile = path.resolve(__dirname, "..", "monitoring", "postgres-exporter-queries.yaml");

/**
 * What the PostgreSQL exporter is started with and the metrics that yields, for the exporter
 * version pinned here. `pg_up` it always exports; each collector its own names
 * (prometheus-community/postgres_exporter collector/pg_replication.go, pg_stat_archiver.go; the
 * stat_archiver metrics come from a standalone collector since 0.20.0, CHANGELOG); each custom
 * query `<query>_<column>` for its non-LABEL columns (--extend.query-path, deprecated upstream but
 * kept). The replica's lag is such a query (`pg_replica_lag_seconds`): the replication collector's
 * own `pg_replication_lag_seconds` reads 0 for a standby cut off from its primary.
 */
export const postgresExporter = {
    version: "v0.20.1",
    always: ["pg_up"],
    collectors: {
        replication: ["pg_replication_lag_seconds", "pg_replication_is_replica"],
        stat_archiver: ["pg_stat_archiver_archived_count", "pg_stat_archiver_failed_count", "pg_stat_archiver_last_archive_age"],
    } as Record<string, string[]>,
    queries: () => fs.readFileSync(postgresQueriesFile, "utf8"),
};

/** The metric names a postgres_exporter started with `args` and the custom `queries` file exports. */
export function postgresExporterMetricNames(args: string[], queriesYaml: string): string[] {
    const names = [...postgresExporter.always];
    for (const [collector, metrics] of Object.entries(postgresExporter.collectors)) {
        if (args.includes(`--collector.${collector}`)) names.push(...metrics);
    }
    const queries = (YAML.parse(queriesYaml) ?? {}) as Record<string, { metrics: Record<string, { usage: string }>[] }>;
    for (const [namespace, q] of Object.entries(queries)) {
        for (const column of q.metrics) {
            for (const [name, m] of Object.entries(column)) if (m.usage !== "LABEL") names.push(`${namespace}_${name}`);
        }
    }
    return names;
}

/** YACE's snake case (pkg/promutil: PromString): word boundaries to `_`, lower case, anything else `_`. */
function promString(text: string): string {
    return text.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2").toLowerCase().replace(/[^a-z0-9]/g, "_");
}

/** The Prometheus name YACE gives a CloudWatch metric (pkg/promutil BuildMetricName): aws_<namespace>_<metric>_<statistic>. */
export function yaceMetricName(namespace: string, metric: string, statistic: string): string {
    const ns = promString(namespace.replace(/^\//, "").toLowerCase());
    let name = promString(metric);
    let skip = 0;
    for (const part of ns.split("_")) if (name.slice(skip).startsWith(part)) skip = part.length;
    name = name.slice(skip).replace(/^_/, "");
    return `${ns.startsWith("aws") ? "" : "aws_"}${ns}_${name}_${promString(statistic)}`;
}

interface YaceMetric { name: string; statistics: string[]; period: number; length: number }
interface YaceConfig {
    apiVersion: string;
    "sts-region": string;
    discovery: { jobs: { type: string; regions: string[]; searchTags?: { key: string; value: string }[]; metrics: YaceMetric[] }[] };
    customNamespace: { name: string; namespace: string; regions: string[]; metrics: YaceMetric[] }[];
}

/** Every metric name a YACE configuration exports. */
export function yaceMetricNames(config: YaceConfig): string[] {
    return [
        ...config.discovery.jobs.flatMap(j => j.metrics.flatMap(m => m.statistics.map(s => yaceMetricName(j.type, m.name, s)))),
        ...config.customNamespace.flatMap(j => j.metrics.flatMap(m => m.statistics.map(s => yaceMetricName(j.namespace, m.name, s)))),
    ];
}

/**
 * The CloudWatch metrics the rules and dashboards read: the database and cache of this stack
 * (found by their stack tag), and the replication of the backup and media buckets, which
 * CloudWatch publishes in the source buckets' region (either one, depending on the roles).
 */
export function yaceConfig(stack: string, region: string, peerRegion: string): YaceConfig {
    const metric = (name: string, statistics: string[], period = 300): YaceMetric => ({ name, statistics, period, length: period * 3 });
    const ours = [{ key: "autovideo-dr:stack", value: `^${stack}$` }];
    return {
        apiVersion: "v1alpha1",
        "sts-region": region,
        discovery: {
            jobs: [
                { type: "AWS/RDS", regions: [region], searchTags: ours, metrics: [metric("ReplicaLag", ["Maximum"], 60), metric("FreeStorageSpace", ["Minimum"])] },
                { type: "AWS/ElastiCache", regions: [region], searchTags: ours, metrics: [metric("GlobalDatastoreReplicationLag", ["Maximum"], 60), metric("EngineCPUUtilization", ["Average"])] },
            ],
        },
        // S3 replication metrics carry SourceBucket/DestinationBucket/RuleId, not the BucketName
        // that discovery associates by, so they are read as a custom namespace.
        customNamespace: [{
            name: "s3-replication",
            namespace: "AWS/S3",
            regions: [region, peerRegion],
            metrics: [metric("OperationsFailedReplication", ["Sum"]), metric("OperationsPendingReplication", ["Maximum"]), metric("ReplicationLatency", ["Maximum"])],
        }],
    };
}

export interface MetricSourcesArgs extends PodIdentity {
    stack: string;
    region: string;
    peerRegion: string;
    databaseAddress: pulumi.Input<string>;
    databasePort: pulumi.Input<number>;
    databaseName: string;
    /** The kube-prometheus-stack release: it brings the ServiceMonitor CRD these releases use. */
    prometheus: pulumi.Resource;
    /** What puts the credentials Secret into the monitoring namespace. */
    credentials: pulumi.Resource[];
    /** StorageClass of the Pushgateway's volume. */
    storageClass: pulumi.Input<string>;
    k8sProvider: k8s.Provider;
    tags: Record<string, string>;
}

/**
 * Every metric the alert rules read has a source declared here (tests/infra/metrics.test.ts
 * checks each rule of monitoring/alerts.yaml against them): a PostgreSQL exporter for this
 * stack's database (pg_*), a CloudWatch exporter (YACE, aws_*), and the Pushgateway the backup,
 * prune and restore-test jobs push their results to (autovideo_dr_*).
 */
export class MetricSources extends pulumi.ComponentResource {
    public readonly pushgateway: k8s.helm.v3.Release;
    public readonly postgresExporter: k8s.helm.v3.Release;
    public readonly cloudwatchExporter: k8s.helm.v3.Release;

    constructor(name: string, args: MetricSourcesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:MetricSources", name, {}, opts);
        const inCluster = { parent: this, provider: args.k8sProvider, dependsOn: [args.prometheus] };
        const monitor = { enabled: true, namespace: monitoringNamespace };

        this.pushgateway = new k8s.helm.v3.Release(`${name}-pushgateway`, {
            name: pushgatewayService,
            chart: "prometheus-pushgateway",
            version: "3.2.0",
            repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
            namespace: monitoringNamespace,
            values: {
                fullnameOverride: pushgatewayService,
                // honorLabels (the chart's default) keeps the job label each CronJob pushes under.
                serviceMonitor: { ...monitor, honorLabels: true },
                // The restore test pushes once a month: its results must outlive a pod restart.
                persistentVolume: { enabled: true, size: "2Gi", storageClass: args.storageClass },
                extraArgs: ["--persistence.file=/data/pushgateway.data", "--persistence.interval=1m"],
            },
        }, inCluster);

        const queries = new k8s.core.v1.ConfigMap(`${name}-postgres-queries`, {
            metadata: { namespace: monitoringNamespace, name: "postgres-exporter-queries" },
            data: { "queries.yaml": postgresExporter.queries() },
        }, inCluster);
        this.postgresExporter = new k8s.helm.v3.Release(`${name}-postgres`, {
            name: "postgres-exporter",
            chart: "prometheus-postgres-exporter",
            version: "8.1.1",
            repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
            namespace: monitoringNamespace,
            values: {
                // The collectors' flags and metric names above are those of this exporter version.
                image: { registry: "quay.io", repository: "prometheuscommunity/postgres-exporter", tag: postgresExporter.version },
                config: {
                    datasource: {
                        host: args.databaseAddress,
                        port: pulumi.output(args.databasePort).apply(String),
                        database: args.databaseName,
                        userSecret: { name: databaseCredentialsSecret, key: databaseCredentialsKeys.user },
                        passwordSecret: { name: databaseCredentialsSecret, key: databaseCredentialsKeys.password },
                        // rds.force_ssl: the server refuses anything else.
                        sslmode: "require",
                    },
                    extraArgs: [
                        ...Object.keys(postgresExporter.collectors).map(c => `--collector.${c}`),
                        "--extend.query-path=/etc/postgres-exporter/queries.yaml",
                    ],
                },
                extraVolumes: [{ name: "queries", configMap: { name: "postgres-exporter-queries" } }],
                extraVolumeMounts: [{ name: "queries", mountPath: "/etc/postgres-exporter", readOnly: true }],
                serviceMonitor: { ...monitor, relabelings: [{ targetLabel: "job", replacement: postgresScrapeJob }] },
            },
        }, { ...inCluster, dependsOn: [args.prometheus, queries, ...args.credentials] });

        const yaceRole = new aws.iam.Role(`${name}-cloudwatch`, {
            assumeRolePolicy: podRoleTrust(args, monitoringNamespace, "autovideo-dr-cloudwatch-exporter"), tags: args.tags,
        }, { parent: this });
        new aws.iam.RolePolicy(`${name}-cloudwatch`, {
            role: yaceRole.id,
            policy: policyDocument([{
                Sid: "ReadMetrics", Effect: "Allow",
                Action: ["tag:GetResources", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics", "sts:GetCallerIdentity"],
                Resource: ["*"],
            }]),
        }, { parent: this });
        this.cloudwatchExporter = new k8s.helm.v3.Release(`${name}-cloudwatch`, {
            name: "cloudwatch-exporter",
            chart: "prometheus-yet-another-cloudwatch-exporter",
            version: "0.50.0",
            repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
            namespace: monitoringNamespace,
            values: {
                serviceAccount: { create: true, name: "autovideo-dr-cloudwatch-exporter", annotations: { "eks.amazonaws.com/role-arn": yaceRole.arn } },
                serviceMonitor: monitor,
                config: YAML.stringify(yaceConfig(args.stack, args.region, args.peerRegion)),
            },
        }, inCluster);

        this.registerOutputs({ pushgatewayUrl });
    }
}
