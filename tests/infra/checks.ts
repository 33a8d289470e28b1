// Assertions every environment stack must pass whatever its role, and the ones parameterised by role.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { loadAlertRules } from "../../infra/alertRules";
import { tierPolicy } from "../../infra/backupTiers";
import { accountId, asArray, Declared, globalOutputs, Run, statements, unsecret } from "./harness";

/** Outputs the recovery side reads with `pulumi stack output --json` (docs/architecture.md). */
export const outputNames = [
    "role", "region", "peerRegion", "peerStack", "globalStack", "kmsKeyArn",
    "databaseEndpoint", "databaseAddress", "databasePort", "databaseArn", "databaseIdentifier", "databaseReplicaSource",
    "databaseGeneration", "databaseMasterSecretArn", "databaseSecretName", "databaseCredentialsSecret",
    "uploadsBucket", "modelsBucket", "generatedBucket", "backupsBucket",
    "backupVaultName", "backupVaultArn", "peerBackupVaultArn", "batchReplicationJobs", "gcsBucket", "offsiteTransferRoleArn",
    "cacheEndpoint", "cacheRole", "cacheGlobalReplicationGroupId",
    "dnsName", "regionalDnsName", "healthCheckId", "healthCheckUrl", "regionalHealthCheckUrl", "loadBalancerHostname",
    "clusterName", "kubeconfig", "alertTopicArn", "pushgatewayUrl",
];

/** The outputs an earlier version exported; the recovery side may read any of them, so none may go. */
const outputsBefore = [
    "role", "region", "peerRegion", "peerStack", "kmsKeyArn", "databaseEndpoint", "databaseAddress", "databasePort", "databaseArn",
    "databaseIdentifier", "databaseReplicaSource", "databaseMasterSecretArn", "uploadsBucket", "modelsBucket", "generatedBucket",
    "backupsBucket", "backupVaultName", "backupVaultArn", "peerBackupVaultArn", "gcsBucket", "cacheEndpoint", "cacheGlobalReplicationGroupId",
    "dnsName", "regionalDnsName", "healthCheckId", "healthCheckUrl", "regionalHealthCheckUrl", "loadBalancerHostname", "clusterName",
    "kubeconfig", "alertTopicArn",
];

export const fullReplicas: Record<string, number> = {
    "api-gateway": 3, "auth-service": 3, "video-service": 3, "ai-service": 2,
    "storage-service": 2, "social-service": 2, "trend-service": 2, "scheduler-service": 2,
};

/** The resources named in `names` (URNs) among a run's. */
export const named = (run: Run, urns: string[]) => urns.map(u => run.byUrn(u)).filter((r): r is Declared => r !== undefined);

export function checkCommon(get: () => Run, expect: { stack: string; region: string; peerRegion: string; zones: number }): void {
    it("exports every output the recovery side reads, and keeps every earlier one", () => {
        const run = get();
        assert.deepEqual(Object.keys(run.outputs).sort(), [...outputNames].sort());
        for (const name of outputsBefore) assert.ok(name in run.outputs, `output ${name} was removed`);
        for (const name of outputNames.filter(n => !["peerStack", "gcsBucket", "offsiteTransferRoleArn", "databaseReplicaSource"].includes(n))) {
            assert.ok(run.outputs[name] !== undefined && run.outputs[name] !== "", `output ${name} is empty`);
        }
        assert.equal(run.outputs.healthCheckUrl, "https://api.autovideo.example.com/health/ready");
        assert.equal(run.outputs.regionalHealthCheckUrl, `https://${expect.region}.api.autovideo.example.com/health/ready`);
        assert.equal(run.outputs.healthCheckId, (globalOutputs.healthCheckIds as Record<string, string>)[expect.stack], "the global stack's health check of this environment");
        assert.equal(run.outputs.databaseMasterSecretArn, (globalOutputs.databaseSecretArns as Record<string, string>)[expect.region], "the credentials' secret in this region");
        assert.equal(run.outputs.databaseCredentialsSecret, "autovideo/autovideo-dr-database");
        assert.equal(run.outputs.pushgatewayUrl, "http://prometheus-pushgateway.monitoring.svc.cluster.local:9091");
    });

    it("declares every AWS resource through an explicit provider for the right region", () => {
        const run = get();
        const aws = run.resources.filter(r => r.type.startsWith("aws:"));
        assert.ok(aws.length > 50);
        for (const r of aws) {
            assert.ok(r.providerName === "home" || r.providerName === "peer", `${r.type} ${r.name} uses the default provider`);
            assert.ok([expect.region, expect.peerRegion].includes(r.region), `${r.type} ${r.name} in ${r.region}`);
        }
        assert.equal(run.one("pulumi:providers:aws", "home").inputs.region, expect.region);
        const peer = run.one("pulumi:providers:aws", "peer");
        assert.equal(peer.inputs.region, expect.peerRegion);
        // While the peer region is down its STS is too: the provider must validate credentials at home.
        assert.equal(peer.inputs.stsRegion, expect.region);
    });

    it("reads the certificate and health check of this environment from the global stack and owns no failover record", () => {
        const run = get();
        const refs = run.ofType("pulumi:pulumi:StackReference").map(r => r.inputs.name);
        assert.ok(refs.includes("organization/autovideo-dr/global"));
        assert.equal(run.ofType("aws:acm/certificate:Certificate").length, 0, "certificates are the global stack's");
        assert.equal(run.ofType("aws:route53/healthCheck:HealthCheck").length, 0, "health checks are the global stack's");
        const records = run.ofType("aws:route53/record:Record");
        assert.deepEqual(records.map(r => [r.inputs.name, r.inputs.failoverRoutingPolicies]), [[`${expect.region}.api.autovideo.example.com`, undefined]],
            "only its own regional name, pointing at its load balancer");
        // The same record as when the environment owned the failover records: updated, not re-created.
        assert.deepEqual(records[0].aliases.map(a => [a.spec?.name, a.spec?.parenturn]),
            [["autovideo-dr-traffic-regional", `urn:pulumi:${expect.stack}::autovideo-dr::autovideo-dr:index:Traffic::autovideo-dr-traffic`]]);
        const lb = run.ofType("kubernetes:core/v1:Service").find(s => s.inputs.spec?.type === "LoadBalancer")!;
        assert.equal(lb.inputs.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"],
            (globalOutputs.certificateArns as Record<string, string>)[expect.stack]);
    });

    it(`spans ${expect.zones} zones with a public and a private subnet and a NAT gateway per zone`, () => {
        const run = get();
        const subnets = run.ofType("aws:ec2/subnet:Subnet");
        const zones = new Set(subnets.map(s => s.inputs.availabilityZone));
        assert.equal(zones.size, expect.zones);
        for (const zone of zones) {
            assert.equal(subnets.filter(s => s.inputs.availabilityZone === zone).length, 2, `zone ${zone}`);
        }
        const nats = run.ofType("aws:ec2/natGateway:NatGateway");
        assert.equal(nats.length, expect.zones);
        const publicSubnetIds = subnets.filter(s => s.name.includes("-public-")).map(s => `${s.name}-id`);
        assert.deepEqual(nats.map(n => n.inputs.subnetId).sort(), publicSubnetIds.sort(), "one NAT in each zone's public subnet");
        const privateRoutes = run.ofType("aws:ec2/routeTable:RouteTable").filter(t => t.inputs.routes?.[0]?.natGatewayId);
        assert.equal(new Set(privateRoutes.map(t => t.inputs.routes[0].natGatewayId)).size, expect.zones, "each private subnet uses its own zone's NAT");
        assert.equal(new Set(subnets.map(s => s.inputs.cidrBlock)).size, subnets.length);
    });

    it("versions, KMS-encrypts, blocks public access to and requires TLS on every bucket", () => {
        const run = get();
        const buckets = run.ofType("aws:s3/bucket:Bucket");
        assert.equal(buckets.length, 4, "uploads, models, generated, backups");
        for (const b of buckets) {
            const id = `${b.name}-0a1b2c3d`;
            const of = (type: string) => run.resources.filter(r => r.type === type && r.inputs.bucket === id);
            assert.equal(of("aws:s3/bucketVersioning:BucketVersioning")[0]?.inputs.versioningConfiguration.status, "Enabled", `${b.name} versioned`);
            const sse = of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0]?.inputs.rules[0].applyServerSideEncryptionByDefault;
            assert.equal(sse?.sseAlgorithm, "aws:kms", `${b.name} SSE-KMS`);
            assert.equal(sse?.kmsMasterKeyId, run.outputs.kmsKeyArn);
            const pab = of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]?.inputs;
            for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
                assert.equal(pab?.[flag], true, `${b.name} ${flag}`);
            }
            const policy = statements(of("aws:s3/bucketPolicy:BucketPolicy")[0]?.inputs.policy ?? "{\"Statement\":[]}");
            assert.ok(policy.some(s => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false"
                && asArray(s.Resource).includes(`arn:aws:s3:::${id}/*`)), `${b.name} TLS-only`);
        }
        const names = [run.outputs.uploadsBucket, run.outputs.modelsBucket, run.outputs.generatedBucket, run.outputs.backupsBucket];
        assert.equal(new Set(names).size, 4);
    });

    it("locks the backup bucket no longer than the hourly tier, refuses overwrites, and tiers backups by their tag", () => {
        const run = get();
        const bucket = run.outputs.backupsBucket;
        assert.equal(run.one("aws:s3/bucket:Bucket", bucket.replace(/-0a1b2c3d$/, "")).inputs.objectLockEnabled, true);
        const lock = run.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
        assert.equal(lock.inputs.bucket, bucket);
        const hourly = tierPolicy.tiers.find(t => t.name === "hourly")!;
        assert.deepEqual(lock.inputs.rule.defaultRetention, { mode: "COMPLIANCE", days: hourly.lockDays });
        const lifecycle = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
        const tagRules = (lifecycle.inputs.rules as any[]).filter(r => r.filter?.tag);
        assert.deepEqual(tagRules.map(r => r.filter.tag), tierPolicy.tiers.map(t => ({ key: tierPolicy.tagKey, value: t.name })));
        assert.ok((lifecycle.inputs.rules as any[]).every(r => r.filter?.prefix === undefined), "no prefix rules: backups are written at the root");
        const policy = statements(run.ofType("aws:s3/bucketPolicy:BucketPolicy").find(p => p.inputs.bucket === bucket)!.inputs.policy);
        const deny = policy.find(s => s.Sid === "DenyOverwritingBackups");
        assert.deepEqual(deny?.Condition, { Null: { "s3:if-none-match": "true" }, Bool: { "s3:ObjectCreationOperation": "true" } });
        assert.equal(deny?.Effect, "Deny");
        assert.deepEqual(asArray(deny!.Action), ["s3:PutObject"]);
    });

    it("gives each DR job only what it needs: backup adds, prune applies retention, the restore test reads", () => {
        const run = get();
        const policies = run.ofType("aws:iam/rolePolicy:RolePolicy");
        const allowed = (name: string) => statements(policies.find(p => p.name === name)!.inputs.policy).filter(s => s.Effect === "Allow").flatMap(s => asArray(s.Action));
        const backup = allowed("autovideo-dr-jobs-backup");
        assert.ok(backup.includes("s3:PutObject") && backup.includes("s3:PutObjectTagging") && backup.includes("s3:PutObjectRetention"));
        assert.deepEqual(backup.filter(a => /Delete|BypassGovernance|PutObjectLegalHold|PutLifecycle|PutBucket|secretsmanager|\*/i.test(a)), []);
        const prune = allowed("autovideo-dr-jobs-prune");
        assert.ok(prune.includes("s3:DeleteObject") && prune.includes("s3:PutObjectTagging") && prune.includes("s3:PutObjectRetention"));
        assert.deepEqual(prune.filter(a => /BypassGovernance|PutBucket|PutLifecycle|secretsmanager|\*/i.test(a)), [], "prune cannot lift a lock");
        const restore = allowed("autovideo-dr-jobs-restore-test");
        assert.deepEqual(restore.filter(a => !/^(s3:(Get|List)|kms:Decrypt$)/.test(a)), []);
        for (const name of ["autovideo-dr-jobs-backup", "autovideo-dr-jobs-prune", "autovideo-dr-jobs-restore-test"]) {
            for (const s of statements(policies.find(p => p.name === name)!.inputs.policy)) {
                assert.ok(asArray(s.Resource).every(r => r.includes(run.outputs.backupsBucket) || r === run.outputs.kmsKeyArn), `${name}: scoped to the backup bucket and the key`);
            }
        }
        const trust = JSON.parse(run.ofType("aws:iam/role:Role").find(r => r.name === "autovideo-dr-jobs-prune")!.inputs.assumeRolePolicy);
        assert.match(JSON.stringify(trust.Statement[0].Condition), /system:serviceaccount:autovideo:autovideo-dr-prune/);
    });

    it("syncs the database credentials into the autovideo and monitoring namespaces with the External Secrets Operator", () => {
        const run = get();
        const store = run.one("kubernetes:external-secrets.io/v1:ClusterSecretStore");
        assert.deepEqual(store.inputs.spec.provider.aws, { service: "SecretsManager", region: expect.region }, "this region's secret (or replica)");
        const synced = run.ofType("kubernetes:external-secrets.io/v1:ExternalSecret");
        assert.deepEqual(synced.map(s => s.inputs.metadata.namespace).sort(), ["autovideo", "monitoring"]);
        for (const s of synced) {
            assert.equal(s.inputs.spec.target.name, "autovideo-dr-database");
            assert.deepEqual(s.inputs.spec.data.map((d: any) => [d.secretKey, d.remoteRef.key, d.remoteRef.property]),
                [["PGPASSWORD", "autovideo-dr/database", "password"], ["PGUSER", "autovideo-dr/database", "username"]]);
            assert.ok(run.after(s, store), "the store exists before anything syncs through it");
        }
        const operatorPolicy = statements(run.one("aws:iam/rolePolicy:RolePolicy", "autovideo-dr-secrets-operator").inputs.policy);
        assert.deepEqual(operatorPolicy.flatMap(s => asArray(s.Resource)), [run.outputs.databaseMasterSecretArn], "the operator reads that one secret");
        const release = run.ofType("kubernetes:helm.sh/v3:Release").find(r => r.inputs.chart === "external-secrets")!;
        assert.match(release.inputs.values.serviceAccount.annotations["eks.amazonaws.com/role-arn"], /autovideo-dr-secrets-operator/);
    });

    it("runs EKS node groups over every zone at the cluster's supported version, with encrypted volumes", () => {
        const run = get();
        const groups = run.ofType("aws:eks/nodeGroup:NodeGroup");
        assert.equal(groups.length, expect.zones);
        const privateIds = run.ofType("aws:ec2/subnet:Subnet").filter(s => s.name.includes("-private-")).map(s => `${s.name}-id`);
        assert.deepEqual(groups.flatMap(g => g.inputs.subnetIds).sort(), privateIds.sort());
        const cluster = run.one("aws:eks/cluster:Cluster");
        assert.deepEqual(cluster.inputs.encryptionConfig.resources, ["secrets"]);
        assert.equal(cluster.inputs.version, "1.35");
        for (const g of groups) assert.equal(g.inputs.version, cluster.inputs.version, `${g.name} follows the control plane`);
        assert.equal(run.one("aws:eks/addon:Addon").inputs.addonName, "aws-ebs-csi-driver");
        assert.equal(run.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs.parameters.encrypted, "true");
    });

    it("loads monitoring/alerts.yaml into the PrometheusRule unchanged and routes alerts by severity", () => {
        const run = get();
        const rule = run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        const operator = run.ofType("kubernetes:helm.sh/v3:Release").find(r => r.inputs.chart === "kube-prometheus-stack")!;
        assert.equal(rule.inputs.metadata.labels.release, operator.inputs.name, "the operator selects the rule by its release label");
        assert.deepEqual(rule.inputs.spec.groups, loadAlertRules(), "the rule file as it is");
        // The team channel's webhook URL is a secret, and with it the release's values.
        const values = unsecret(operator.inputs.values);
        assert.equal(values.secret, true, "the webhook URL stays a secret in the state");
        const config = values.value.alertmanager.config;
        const receivers = Object.fromEntries(config.receivers.map((r: any) => [r.name, r]));
        const routeFor = (severity: string) => config.route.routes.filter((r: any) => r.matchers.some((m: string) => new RegExp(m.replace(/^severity=~?"(.*)"$/, "^($1)$")).test(severity) && m.startsWith("severity")));
        assert.deepEqual(routeFor("critical").map((r: any) => r.receiver), ["oncall", "team-channel"], "critical pages on-call and shows in the team channel");
        assert.deepEqual(routeFor("warning").map((r: any) => r.receiver), ["team-channel"]);
        assert.equal(receivers.oncall.sns_configs[0].topic_arn, run.outputs.alertTopicArn);
        assert.equal(receivers["team-channel"].webhook_configs[0].url, "https://hooks.example.com/services/T000/B000/test-webhook-token");
        assert.match(values.value.alertmanager.serviceAccount.annotations["eks.amazonaws.com/role-arn"], /alertmanager/);
        const alarms = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.ok(alarms.length >= 3);
        for (const a of alarms) assert.deepEqual(a.inputs.alarmActions, [run.outputs.alertTopicArn]);
        assert.equal(run.one("aws:sns/topicSubscription:TopicSubscription").inputs.endpoint, "oncall@autovideo.example.com");
    });

    it("keeps the vault locked", () => {
        const run = get();
        const lock = run.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration");
        assert.equal(lock.inputs.backupVaultName, `autovideo-dr-${expect.region}`);
        assert.ok(lock.inputs.minRetentionDays >= 7);
        assert.equal(run.outputs.backupVaultName, `autovideo-dr-${expect.region}`);
    });
}

export function checkBackupPlan(get: () => Run, peerRegion: string): void {
    it(`has hourly, daily and weekly backup rules, each copying to the ${peerRegion} vault, none asking for a cold tier RDS and S3 lack`, () => {
        const run = get();
        const plan = run.one("aws:backup/plan:Plan");
        const peerVault = `arn:aws:backup:${peerRegion}:${accountId}:backup-vault:autovideo-dr-${peerRegion}`;
        const rules = plan.inputs.rules as any[];
        assert.deepEqual(rules.map(r => r.ruleName), ["hourly", "daily", "weekly"]);
        for (const r of rules) {
            assert.equal(r.targetVaultName, run.outputs.backupVaultName);
            assert.deepEqual(r.copyActions.map((c: any) => c.destinationVaultArn), [peerVault], `${r.ruleName} copies to the peer vault`);
            assert.ok(r.lifecycle.deleteAfter >= 7, "never below the vault lock's minimum");
            assert.equal(r.lifecycle.coldStorageAfter, undefined, `${r.ruleName}: AWS Backup ignores coldStorageAfter for RDS and S3`);
        }
        assert.match(rules[0].schedule, /^cron\(0 \* /);
        assert.equal(run.outputs.peerBackupVaultArn, peerVault);
        const selection = run.one("aws:backup/selection:Selection");
        for (const kind of ["uploads", "models", "generated"]) {
            assert.ok(selection.inputs.resources.includes(`arn:aws:s3:::${run.outputs[`${kind}Bucket`]}`));
        }
        assert.ok(selection.inputs.resources.every((r: string) => /^arn:aws:(rds|s3):/.test(r)), "only RDS and S3, which have no cold tier");
    });
}

export function checkWorkloads(get: () => Run, role: "primary" | "standby", pilotLight = 1): void {
    it(role === "primary" ? "runs every service at its full count" : `runs every service at the pilot-light minimum (${pilotLight})`, () => {
        const run = get();
        const deployments = run.ofType("kubernetes:apps/v1:Deployment");
        assert.deepEqual(deployments.map(d => d.name).sort(), Object.keys(fullReplicas).sort());
        for (const d of deployments) {
            assert.equal(d.inputs.spec.replicas, role === "primary" ? fullReplicas[d.name] : pilotLight, d.name);
            const pod = d.inputs.spec.template.spec;
            assert.ok(pod.topologySpreadConstraints.some((c: any) => c.topologyKey === "topology.kubernetes.io/zone" && c.whenUnsatisfiable === "DoNotSchedule"), `${d.name} spreads over zones`);
            assert.ok(pod.containers[0].readinessProbe?.httpGet && pod.containers[0].livenessProbe?.httpGet, `${d.name} probes`);
            assert.match(d.inputs.spec.template.metadata.annotations["autovideo-dr/endpoints-sha256"], /^[0-9a-f]{64}$/, `${d.name} rolls when an endpoint changes`);
        }
        const pdbs = run.ofType("kubernetes:policy/v1:PodDisruptionBudget");
        assert.deepEqual(pdbs.map(p => p.name).sort(), Object.keys(fullReplicas).sort());
    });

    it(`schedules backup (${role === "primary" ? "active" : "suspended on a standby"}), hourly prune and the monthly restore test, with the password from the synced Secret and results to the Pushgateway`, () => {
        const run = get();
        const jobs = Object.fromEntries(run.ofType("kubernetes:batch/v1:CronJob").map(j => [j.name, j.inputs.spec]));
        assert.deepEqual(Object.keys(jobs).sort(), ["autovideo-dr-backup", "autovideo-dr-prune", "autovideo-dr-restore-test"]);
        const container = (name: string) => jobs[name].jobTemplate.spec.template.spec.containers[0];
        for (const name of Object.keys(jobs)) {
            const c = container(name);
            assert.deepEqual(c.command, ["autovideo-dr"]);
            assert.equal(c.image, "ghcr.io/autovideo/autovideo-dr:stable");
            const args: string[] = c.args;
            assert.equal(args[args.indexOf("--store") + 1], `s3://${run.outputs.backupsBucket}`, name);
            assert.equal(args[args.indexOf("--metrics-push") + 1], run.outputs.pushgatewayUrl, `${name} pushes its results`);
            assert.deepEqual(c.env.find((e: any) => e.name === "PGPASSWORD")?.valueFrom, { secretKeyRef: { name: "autovideo-dr-database", key: "PGPASSWORD" } }, `${name} gets PGPASSWORD`);
            assert.ok(!JSON.stringify(c).includes("Password="), "no password in the job spec");
            assert.equal(c.securityContext.readOnlyRootFilesystem, true);
            assert.equal(jobs[name].jobTemplate.spec.template.spec.securityContext.runAsNonRoot, true);
            assert.equal(jobs[name].concurrencyPolicy, "Forbid");
        }
        const backup = container("autovideo-dr-backup").args;
        assert.equal(backup[0], "backup");
        assert.match(backup[backup.indexOf("--from") + 1], /^Host=\$\(DATABASE_HOST\);Port=\$\(DATABASE_PORT\);Database=autovideo;Username=autovideo;/);
        assert.equal(jobs["autovideo-dr-backup"].schedule, "*/15 * * * *");
        assert.equal(jobs["autovideo-dr-backup"].suspend, role !== "primary");
        const prune = container("autovideo-dr-prune").args;
        assert.deepEqual(prune.slice(0, 2), ["backups", "prune"]);
        for (const t of tierPolicy.tiers) assert.equal(prune[prune.indexOf(`--keep-${t.name}`) + 1], String(t.keep), `prune keeps the ${t.name} tier's count`);
        assert.equal(jobs["autovideo-dr-prune"].suspend, false, "retention applies in both roles");
        const restore = container("autovideo-dr-restore-test").args;
        assert.deepEqual(restore.slice(0, 2), ["restore", "latest"]);
        assert.ok(restore.includes("--force"));
        assert.match(restore[restore.indexOf("--target") + 1], /Database=autovideo_restore_test;/, "a scratch database, never the live one");
        assert.match(jobs["autovideo-dr-restore-test"].schedule, /^\S+ \S+ 1 \* \*$/, "monthly");
        assert.equal(jobs["autovideo-dr-restore-test"].suspend, role !== "primary");
        for (const [job, sa] of [["autovideo-dr-backup", "autovideo-dr-backup"], ["autovideo-dr-prune", "autovideo-dr-prune"]]) {
            assert.equal(jobs[job].jobTemplate.spec.template.spec.serviceAccountName, sa);
            const account = run.ofType("kubernetes:core/v1:ServiceAccount").find(s => s.name === sa)!;
            assert.match(account.inputs.metadata.annotations["eks.amazonaws.com/role-arn"], new RegExp(`autovideo-dr-jobs-${sa.replace("autovideo-dr-", "")}`));
        }
    });
}
