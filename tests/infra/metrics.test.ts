// Every metric an alert rule reads has a source the stacks declare: a rule over a metric that
// nothing produces would never fire, and would look like a quiet system.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import YAML from "yaml";
import { loadAlertRules, parseAlertRules } from "../../infra/alertRules";
import { postgresExporterMetricNames, yaceMetricName, yaceMetricNames } from "../../infra/metricSources";
import { drJobs } from "../../infra/workloads";
import { environmentConfig, Run, runProgram, unsecret } from "./harness";
import { metricSelectors, Selector } from "./promql";

/** The source of a selector in a run's declared resources, or undefined when nothing produces it. */
function sourceFinder(run: Run): (s: Selector) => string | undefined {
    const releases = run.ofType("kubernetes:helm.sh/v3:Release");
    const release = (chart: string) => releases.find(r => r.inputs.chart === chart);
    const values = (chart: string) => unsecret(release(chart)?.inputs.values).value;

    const postgres = values("prometheus-postgres-exporter");
    const queries = run.ofType("kubernetes:core/v1:ConfigMap").find(c => c.inputs.metadata.name === "postgres-exporter-queries")?.inputs.data["queries.yaml"] ?? "";
    const pgNames = postgres === undefined ? [] : postgresExporterMetricNames(postgres.config.extraArgs, queries);
    const pgJob = postgres?.serviceMonitor?.enabled ? postgres.serviceMonitor.relabelings?.find((r: any) => r.targetLabel === "job")?.replacement : undefined;

    const yace = values("prometheus-yet-another-cloudwatch-exporter");
    const awsNames = yace?.serviceMonitor?.enabled ? yaceMetricNames(YAML.parse(yace.config)) : [];

    const pushgateway = values("prometheus-pushgateway");
    const pushUrl = pushgateway === undefined ? undefined : `http://${pushgateway.fullnameOverride}.${release("prometheus-pushgateway")!.inputs.namespace}.svc.cluster.local:9091`;
    const cronJobs = run.ofType("kubernetes:batch/v1:CronJob");
    const pushing = drJobs.filter(job => {
        const args: string[] = cronJobs.find(c => c.name === job.name)?.inputs.spec.jobTemplate.spec.template.spec.containers[0].args ?? [];
        return pushUrl !== undefined && args[args.indexOf("--metrics-push") + 1] === pushUrl;
    });

    return (s: Selector) => {
        if (s.name === "up") return s.labels.job !== undefined && s.labels.job === pgJob ? `scrape job ${pgJob} (postgres exporter)` : undefined;
        if (pgNames.includes(s.name)) return "postgres exporter";
        if (awsNames.includes(s.name)) return "cloudwatch exporter";
        const job = pushing.find(j => j.pushes.some(prefix => s.name.startsWith(prefix)));
        if (s.name.startsWith("autovideo_dr_") && job !== undefined) return `${job.name} via the Pushgateway`;
        return undefined;
    };
}

describe("metric sources of the alert rules", () => {
    let runs: Record<string, Run>;
    before(async () => {
        runs = {};
        for (const [name, stack, overrides] of [["prod", "prod", {}], ["dr standby", "dr", {}], ["dr promoted", "dr", { "autovideo-dr:role": "primary" }]] as const) {
            const { config, secretKeys } = environmentConfig(stack, overrides);
            runs[name] = await runProgram(stack, config, secretKeys);
        }
    });

    it("reads metric selectors the way PromQL does", () => {
        assert.deepEqual(metricSelectors('pg_up == 0 or up{job="postgres"} == 0'), [{ name: "pg_up", labels: {} }, { name: "up", labels: { job: "postgres" } }]);
        assert.deepEqual(metricSelectors("max by (instance) (pg_replication_lag) > 900").map(s => s.name), ["pg_replication_lag"]);
        assert.deepEqual(metricSelectors("time() - max(autovideo_dr_backup_newest_timestamp_seconds) > 900").map(s => s.name), ["autovideo_dr_backup_newest_timestamp_seconds"]);
        assert.deepEqual(metricSelectors('sum by (dimension_SourceBucket) (increase(aws_s3_x_sum{a!="b", c=~"d"}[15m])) > 35 * 86400').map(s => [s.name, s.labels]), [["aws_s3_x_sum", {}]]);
        assert.deepEqual(metricSelectors("a unless on (instance) group_left(job) b offset 5m").map(s => s.name), ["a", "b"]);
    });

    it("names YACE's metrics as YACE does (pkg/promutil BuildMetricName)", () => {
        assert.equal(yaceMetricName("AWS/S3", "OperationsFailedReplication", "Sum"), "aws_s3_operations_failed_replication_sum");
        assert.equal(yaceMetricName("AWS/RDS", "ReplicaLag", "Maximum"), "aws_rds_replica_lag_maximum");
        assert.equal(yaceMetricName("AWS/ElastiCache", "GlobalDatastoreReplicationLag", "Maximum"), "aws_elasticache_global_datastore_replication_lag_maximum");
        assert.equal(yaceMetricName("AWS/Glue", "glue.driver.aggregate.bytesRead", "Sum"), "aws_glue_driver_aggregate_bytes_read_sum", "a name repeating the namespace drops it");
    });

    for (const name of ["prod", "dr standby", "dr promoted"]) {
        it(`${name}: every metric read by monitoring/alerts.yaml has a declared source`, () => {
            const sourceOf = sourceFinder(runs[name]);
            const missing: string[] = [];
            for (const group of loadAlertRules()) {
                for (const rule of group.rules) {
                    const selectors = metricSelectors(rule.expr);
                    assert.ok(selectors.length > 0, `${rule.alert} reads no metric`);
                    for (const s of selectors) if (sourceOf(s) === undefined) missing.push(`${rule.alert}: ${s.name}${JSON.stringify(s.labels)}`);
                }
            }
            assert.deepEqual(missing, []);
        });
    }

    it("a rule over a metric nothing produces is caught", () => {
        const sourceOf = sourceFinder(runs.prod);
        const rules = parseAlertRules(`groups:
  - name: t
    rules:
      - { alert: A, expr: 'pg_replication_lag_minutes > 1', labels: { severity: warning } }
      - { alert: B, expr: 'sum(aws_s3_bytes_downloaded_sum) > 0', labels: { severity: warning } }
      - { alert: C, expr: 'autovideo_dr_drill_last_success == 0', labels: { severity: critical } }
      - { alert: D, expr: 'up{job="redis"} == 0', labels: { severity: critical } }
      - { alert: E, expr: 'node_load1 > 4', labels: { severity: warning } }
`);
        const unsourced = rules[0].rules.filter(r => metricSelectors(r.expr).some(s => sourceOf(s) === undefined)).map(r => r.alert);
        assert.deepEqual(unsourced, ["A", "B", "C", "D", "E"]);
    });

    it("the exporters' sources go away with them: without the Pushgateway no autovideo_dr_* metric has a source", () => {
        const run = runs.prod;
        const stripped: Run = { ...run, ofType: (type: string) => run.ofType(type).filter(r => !(type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "prometheus-pushgateway")) };
        assert.equal(sourceFinder(stripped)({ name: "autovideo_dr_backup_last_success", labels: {} }), undefined);
        assert.ok(sourceFinder(run)({ name: "autovideo_dr_backup_last_success", labels: {} }));
    });

    it("every alert carries a severity Alertmanager routes (critical pages, warning to the team channel)", () => {
        for (const group of loadAlertRules()) for (const rule of group.rules) assert.ok(["critical", "warning"].includes(rule.labels!.severity), rule.alert);
    });
});
