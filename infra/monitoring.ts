import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { loadAlertRules, RuleGroup } from "./alertRules";
import { PodIdentity, podRoleTrust, policyDocument } from "./iam";
import { Role } from "./settings";

export const monitoringNamespace = "monitoring";
/** The kube-prometheus-stack release: its operator selects PrometheusRules labelled with this name. */
export const prometheusRelease = "prometheus";
export const alertmanagerServiceAccount = "autovideo-dr-alertmanager";

export interface MonitoringArgs extends PodIdentity {
    role: Role;
    region: string;
    /** The critical RPO in seconds: lag or backup age beyond it is data the plan does not allow to lose. */
    rpoSeconds: number;
    databaseIdentifier: pulumi.Input<string>;
    backupVaultName: pulumi.Input<string>;
    namespace: pulumi.Input<string>;
    oncallEmail?: string;
    /** The team channel's webhook (a Pulumi secret). */
    alertWebhookUrl: pulumi.Input<string>;
    /** The rule groups to load; monitoring/alerts.yaml unless a test passes others. */
    ruleGroups?: RuleGroup[];
    /** The Kubernetes provider of the cluster where Prometheus (the operator) runs. */
    k8sProvider: k8s.Provider;
    tags: Record<string, string>;
}

/**
 * Alertmanager's routing: critical alerts page on-call through the SNS topic (and show in the
 * team channel), warnings go to the team channel, the chart's always-firing Watchdog nowhere.
 */
export function alertmanagerConfig(topicArn: pulumi.Input<string>, region: string, webhookUrl: pulumi.Input<string>) {
    return {
        route: {
            receiver: "team-channel",
            group_by: ["alertname", "instance"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
            routes: [
                { receiver: "null", matchers: ['alertname="Watchdog"'] },
                { receiver: "oncall", matchers: ['severity="critical"'], continue: true },
                { receiver: "team-channel", matchers: ['severity=~"critical|warning"'] },
            ],
        },
        receivers: [
            { name: "null" },
            {
                name: "oncall",
                sns_configs: [{
                    topic_arn: topicArn,
                    sigv4: { region },
                    subject: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
                    send_resolved: true,
                }],
            },
            { name: "team-channel", webhook_configs: [{ url: webhookUrl, send_resolved: true }] },
        ],
    };
}

/**
 * The plan's detection step (事件偵測和通知, 0-5 min): Prometheus alerts on the DR signals, and
 * CloudWatch alarms on what AWS itself measures, all to one SNS on-call topic. The rules are
 * monitoring/alerts.yaml as it is; their metrics come from the sources in metricSources.ts.
 */
export class Monitoring extends pulumi.ComponentResource {
    public readonly topic: aws.sns.Topic;
    public readonly prometheus: k8s.helm.v3.Release;
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

        // Alertmanager publishes to the topic as its own pod identity.
        const alertmanagerRole = new aws.iam.Role(`${name}-alertmanager`, {
            assumeRolePolicy: podRoleTrust(args, monitoringNamespace, alertmanagerServiceAccount), tags: args.tags,
        }, child);
        new aws.iam.RolePolicy(`${name}-alertmanager`, {
            role: alertmanagerRole.id,
            policy: policyDocument([{ Sid: "PageOncall", Effect: "Allow", Action: ["sns:Publish"], Resource: [this.topic.arn] }]),
        }, child);

        // The Prometheus operator (kube-prometheus-stack) owns the PrometheusRule and ServiceMonitor
        // CRDs. The selectors take every ServiceMonitor and rule in the cluster, not only the ones
        // labelled with this release: the exporters are releases of their own.
        this.prometheus = new k8s.helm.v3.Release(`${name}-prometheus`, {
            name: prometheusRelease,
            chart: "kube-prometheus-stack",
            version: "65.1.1",
            repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
            namespace: monitoringNamespace,
            createNamespace: true,
            values: {
                grafana: { enabled: true },
                prometheus: {
                    prometheusSpec: {
                        serviceMonitorSelectorNilUsesHelmValues: false,
                        podMonitorSelectorNilUsesHelmValues: false,
                        ruleSelectorNilUsesHelmValues: false,
                    },
                },
                alertmanager: {
                    enabled: true,
                    serviceAccount: { create: true, name: alertmanagerServiceAccount, annotations: { "eks.amazonaws.com/role-arn": alertmanagerRole.arn } },
                    config: alertmanagerConfig(this.topic.arn, args.region, args.alertWebhookUrl),
                },
            },
        }, { parent: this, provider: args.k8sProvider });

        this.rule = new k8s.apiextensions.CustomResource(`${name}-rules`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { namespace: args.namespace, name: "autovideo-dr", labels: { release: prometheusRelease, role: "alert-rules" } },
            spec: { groups: args.ruleGroups ?? loadAlertRules() },
        }, { parent: this, provider: args.k8sProvider, dependsOn: [this.prometheus] });

        this.registerOutputs({ topicArn: this.topic.arn });
    }
}
