import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Role } from "./settings";

export interface MonitoringArgs {
    role: Role;
    /** The critical RPO in seconds: lag or backup age beyond it is data the plan does not allow to lose. */
    rpoSeconds: number;
    databaseIdentifier: pulumi.Input<string>;
    backupVaultName: pulumi.Input<string>;
    namespace: pulumi.Input<string>;
    oncallEmail?: string;
    /** The Kubernetes provider of the cluster where Prometheus (the operator) runs. */
    k8sProvider: k8s.Provider;
    tags: Record<string, string>;
}

/** Alert names, shared with the runbooks and the tests. */
export const alerts = {
    databaseDown: "AutoVideoDatabaseDown",
    replicationLag: "AutoVideoReplicationLagOverRPO",
    backupTooOld: "AutoVideoBackupOlderThanRPO",
    replicationFailed: "AutoVideoBucketReplicationFailed",
    restoreTestFailed: "AutoVideoRestoreTestFailed",
} as const;

/**
 * The plan's detection step (事件偵測和通知, 0-5 min): Prometheus alerts on the DR signals, and
 * CloudWatch alarms on what AWS itself measures, all to one SNS on-call topic.
 */
export class Monitoring extends pulumi.ComponentResource {
    public readonly topic: aws.sns.Topic;
    public readonly rule: k8s.apiextensions.CustomResource;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("autovideo-dr:index:Monitoring", name, {}, opts);
        const child = { parent: this };
        const rpo = args.rpoSeconds;

        // Not KMS-encrypted: CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key.
        this.topic = new aws.sns.Topic(`${name}-oncall`, { tags: args.tags }, child);
        if (args.oncallEmail !== undefined) {
            new aws.sns.TopicSubscription(`${name}-oncall-email`, { topic: this.topic.arn, protocol: "email", endpoint: args.oncallEmail }, child);
        }
        const actions = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };

        const db = { DBInstanceIdentifier: args.databaseIdentifier };
        if (args.role === "standby") {
            new aws.cloudwatch.MetricAlarm(`${name}-replica-lag`, {
                alarmDescription: `Standby database lags the primary by more than the RPO (${rpo} s)`,
                namespace: "AWS/RDS", metricName: "ReplicaLag", dimensions: db,
                statistic: "Maximum", period: 60, evaluationPeriods: 3, threshold: rpo,
                comparisonOperator: "GreaterThanThreshold", treatMissingData: "breaching", ...actions, tags: args.tags,
            }, child);
        }
        new aws.cloudwatch.MetricAlarm(`${name}-db-storage`, {
            alarmDescription: "Database free storage below 10 GiB",
            namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: db,
            statistic: "Minimum", period: 300, evaluationPeriods: 2, threshold: 10 * 1024 ** 3,
            comparisonOperator: "LessThanThreshold", ...actions, tags: args.tags,
        }, child);
        for (const [id, metricName] of [["backup-jobs-failed", "NumberOfBackupJobsFailed"], ["copy-jobs-failed", "NumberOfCopyJobsFailed"]]) {
            new aws.cloudwatch.MetricAlarm(`${name}-${id}`, {
                alarmDescription: `AWS Backup: ${metricName} in this region's vault`,
                namespace: "AWS/Backup", metricName, dimensions: { BackupVaultName: args.backupVaultName },
                statistic: "Sum", period: 3600, evaluationPeriods: 1, threshold: 0,
                comparisonOperator: "GreaterThanThreshold", treatMissingData: "notBreaching", ...actions, tags: args.tags,
            }, child);
        }
        new aws.rds.EventSubscription(`${name}-db-events`, {
            snsTopic: this.topic.arn,
            sourceType: "db-instance",
            sourceIds: [args.databaseIdentifier],
            eventCategories: ["availability", "failover", "failure", "read replica", "recovery"],
            tags: args.tags,
        }, child);

        // The Prometheus operator (kube-prometheus-stack) owns the PrometheusRule CRD; it picks up
        // rules labelled with its release name.
        const prometheus = new k8s.helm.v3.Release(`${name}-prometheus`, {
            name: "prometheus",
            chart: "kube-prometheus-stack",
            version: "65.1.1",
            repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
            namespace: "monitoring",
            createNamespace: true,
            values: { alertmanager: { enabled: true }, grafana: { enabled: true } },
        }, { parent: this, provider: args.k8sProvider });

        const alert = (name: string, expr: string, forDuration: string, severity: string, summary: string) =>
            ({ alert: name, expr, for: forDuration, labels: { severity, team: "autovideo-dr" }, annotations: { summary, runbook: "docs/architecture.md" } });
        this.rule = new k8s.apiextensions.CustomResource(`${name}-rules`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { namespace: args.namespace, name: "autovideo-dr", labels: { release: "prometheus", role: "alert-rules" } },
            spec: {
                groups: [{
                    name: "autovideo-dr",
                    rules: [
                        // absent(): a silent exporter must page too, not read as "no problem".
                        alert(alerts.databaseDown, "pg_up == 0 or absent(pg_up)", "1m", "critical", "PostgreSQL is down or not scraped"),
                        alert(alerts.replicationLag, `max(pg_replication_lag) > ${rpo}`, "2m", "critical", `Replication lag is above the RPO (${rpo} s)`),
                        // Written by the recovery side after each backup it takes and verifies.
                        alert(alerts.backupTooOld, `autovideo_dr_backup_newest_age_seconds > ${rpo} or absent(autovideo_dr_backup_newest_age_seconds)`, "5m", "critical", `The newest backup is older than the RPO (${rpo} s), or none is reported`),
                        alert(alerts.replicationFailed, "sum by (bucket) (increase(aws_s3_operations_failed_replication_sum[15m])) > 0", "0m", "warning", "S3 replication to the standby region failed for some objects"),
                        alert(alerts.restoreTestFailed, "autovideo_dr_restore_last_success == 0", "0m", "critical", "The last restore test failed"),
                    ],
                }],
            },
        }, { parent: this, provider: args.k8sProvider, dependsOn: [prometheus] });

        this.registerOutputs({ topicArn: this.topic.arn });
    }
}
