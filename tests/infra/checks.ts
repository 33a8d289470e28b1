// Assertions every stack must pass whatever its role, and the ones parameterised by role.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { accountId, asArray, Run, statements } from "./harness";

/** Outputs the recovery side reads with `pulumi stack output --json` (docs/architecture.md). */
export const outputNames = [
    "role", "region", "peerRegion", "peerStack", "kmsKeyArn",
    "databaseEndpoint", "databaseAddress", "databasePort", "databaseArn", "databaseIdentifier", "databaseReplicaSource", "databaseMasterSecretArn",
    "uploadsBucket", "modelsBucket", "generatedBucket", "backupsBucket",
    "backupVaultName", "backupVaultArn", "peerBackupVaultArn", "gcsBucket",
    "cacheEndpoint", "cacheGlobalReplicationGroupId",
    "dnsName", "regionalDnsName", "healthCheckId", "healthCheckUrl", "regionalHealthCheckUrl", "loadBalancerHostname",
    "clusterName", "kubeconfig", "alertTopicArn",
];

export const fullReplicas: Record<string, number> = {
    "api-gateway": 3, "auth-service": 3, "video-service": 3, "ai-service": 2,
    "storage-service": 2, "social-service": 2, "trend-service": 2, "scheduler-service": 2,
};

export function failoverType(run: Run): string {
    const records = run.ofType("aws:route53/record:Record").filter(r => r.inputs.failoverRoutingPolicies !== undefined);
    assert.equal(records.length, 1);
    assert.ok(records[0].inputs.healthCheckId, "the failover record is tied to the region's health check");
    return records[0].inputs.failoverRoutingPolicies[0].type;
}

export function checkCommon(get: () => Run, expect: { region: string; peerRegion: string; zones: number }): void {
    it("exports every output the recovery side reads, and only those", () => {
        const run = get();
        assert.deepEqual(Object.keys(run.outputs).sort(), [...outputNames].sort());
        for (const name of outputNames.filter(n => !["peerStack", "gcsBucket", "databaseReplicaSource", "databaseMasterSecretArn"].includes(n))) {
            assert.ok(run.outputs[name] !== undefined && run.outputs[name] !== "", `output ${name} is empty`);
        }
        assert.equal(run.outputs.healthCheckUrl, "https://api.autovideo.example.com/health/ready");
        assert.equal(run.outputs.regionalHealthCheckUrl, `https://${expect.region}.api.autovideo.example.com/health/ready`);
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
        assert.equal(run.one("pulumi:providers:aws", "peer").inputs.region, expect.peerRegion);
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
        // CIDRs never overlap.
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

    it("locks the backup bucket and ages hourly/daily/weekly backups into cold storage", () => {
        const run = get();
        const bucket = run.outputs.backupsBucket;
        assert.equal(run.one("aws:s3/bucket:Bucket", bucket.replace(/-0a1b2c3d$/, "")).inputs.objectLockEnabled, true);
        const lock = run.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
        assert.equal(lock.inputs.bucket, bucket);
        assert.deepEqual(lock.inputs.rule.defaultRetention, { mode: "COMPLIANCE", days: 7 });
        const rules = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as any[];
        const byPrefix = (p: string) => rules.find(r => r.filter?.prefix === p);
        assert.ok(byPrefix("hourly/")?.expiration.days >= 2);
        assert.equal(byPrefix("daily/")?.transitions[0].storageClass, "GLACIER");
        assert.equal(byPrefix("weekly/")?.transitions[0].storageClass, "DEEP_ARCHIVE");
        assert.ok(byPrefix("weekly/").expiration.days >= byPrefix("weekly/").transitions[0].days + 180, "Deep Archive's 180-day minimum");
    });

    it("lets the backup job write backups but never delete them; the restore test only reads", () => {
        const run = get();
        const policies = run.ofType("aws:iam/rolePolicy:RolePolicy");
        const backup = statements(policies.find(p => p.name === "autovideo-dr-jobs-backup")!.inputs.policy);
        const actions = backup.filter(s => s.Effect === "Allow").flatMap(s => asArray(s.Action));
        assert.ok(actions.includes("s3:PutObject"));
        assert.deepEqual(actions.filter(a => /Delete|PutObjectRetention|PutObjectLegalHold|BypassGovernance|PutLifecycle|PutBucket|\*/i.test(a)), []);
        for (const s of backup) {
            assert.ok(asArray(s.Resource).every(r => r.includes(run.outputs.backupsBucket) || r === run.outputs.kmsKeyArn
                || r === run.outputs.databaseMasterSecretArn), "scoped to the backup bucket, the key and the database credentials");
        }
        const secretReads = backup.filter(s => asArray(s.Action).includes("secretsmanager:GetSecretValue"));
        assert.equal(secretReads.length, run.outputs.databaseMasterSecretArn === "" ? 0 : 1);
        const restore = statements(policies.find(p => p.name === "autovideo-dr-jobs-restore-test")!.inputs.policy);
        assert.deepEqual(restore.flatMap(s => asArray(s.Action)).filter(a => !/^(s3:(Get|List)|kms:Decrypt|secretsmanager:GetSecretValue$)/.test(a)), []);
        const trust = JSON.parse(run.ofType("aws:iam/role:Role").find(r => r.name === "autovideo-dr-jobs-backup")!.inputs.assumeRolePolicy);
        assert.match(JSON.stringify(trust.Statement[0].Condition), /system:serviceaccount:autovideo:autovideo-dr-backup/);
    });

    it("runs EKS node groups over every zone", () => {
        const run = get();
        const groups = run.ofType("aws:eks/nodeGroup:NodeGroup");
        assert.equal(groups.length, expect.zones);
        const privateIds = run.ofType("aws:ec2/subnet:Subnet").filter(s => s.name.includes("-private-")).map(s => `${s.name}-id`);
        assert.deepEqual(groups.flatMap(g => g.inputs.subnetIds).sort(), privateIds.sort());
        const cluster = run.one("aws:eks/cluster:Cluster");
        assert.deepEqual(cluster.inputs.encryptionConfig.resources, ["secrets"]);
    });

    it("alerts on the DR signals with PrometheusRules and CloudWatch alarms to the on-call topic", () => {
        const run = get();
        const rule = run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        const operator = run.one("kubernetes:helm.sh/v3:Release");
        assert.equal(rule.inputs.metadata.labels.release, operator.inputs.name, "the operator selects the rule by its release label");
        const exprs = Object.fromEntries((rule.inputs.spec.groups[0].rules as any[]).map(r => [r.alert, r.expr]));
        assert.equal(exprs.AutoVideoDatabaseDown, "pg_up == 0 or absent(pg_up)");
        assert.match(exprs.AutoVideoReplicationLagOverRPO, /> 900$/);
        assert.equal(exprs.AutoVideoBackupOlderThanRPO, "autovideo_dr_backup_newest_age_seconds > 900 or absent(autovideo_dr_backup_newest_age_seconds)");
        assert.match(exprs.AutoVideoBucketReplicationFailed, /failed_replication/);
        assert.equal(exprs.AutoVideoRestoreTestFailed, "autovideo_dr_restore_last_success == 0");
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
    it(`has hourly, daily and weekly backup rules, each copying to the ${peerRegion} vault`, () => {
        const run = get();
        const plan = run.one("aws:backup/plan:Plan");
        const peerVault = `arn:aws:backup:${peerRegion}:${accountId}:backup-vault:autovideo-dr-${peerRegion}`;
        const rules = plan.inputs.rules as any[];
        assert.deepEqual(rules.map(r => r.ruleName), ["hourly", "daily", "weekly"]);
        for (const r of rules) {
            assert.equal(r.targetVaultName, run.outputs.backupVaultName);
            assert.deepEqual(r.copyActions.map((c: any) => c.destinationVaultArn), [peerVault], `${r.ruleName} copies to the peer vault`);
            assert.ok(r.lifecycle.deleteAfter >= 7, "never below the vault lock's minimum");
        }
        assert.match(rules[0].schedule, /^cron\(0 \* /);
        assert.equal(run.outputs.peerBackupVaultArn, peerVault);
        const selection = run.one("aws:backup/selection:Selection");
        for (const kind of ["uploads", "models", "generated"]) {
            assert.ok(selection.inputs.resources.includes(`arn:aws:s3:::${run.outputs[`${kind}Bucket`]}`));
        }
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
        }
        const pdbs = run.ofType("kubernetes:policy/v1:PodDisruptionBudget");
        assert.deepEqual(pdbs.map(p => p.name).sort(), Object.keys(fullReplicas).sort());
    });

    it(`schedules the backup CronJob (${role === "primary" ? "active" : "suspended on a standby"}) and a monthly restore test`, () => {
        const run = get();
        const jobs = Object.fromEntries(run.ofType("kubernetes:batch/v1:CronJob").map(j => [j.name, j.inputs.spec]));
        const backup = jobs["autovideo-dr-backup"];
        const container = backup.jobTemplate.spec.template.spec.containers[0];
        assert.deepEqual(container.command, ["autovideo-dr"]);
        assert.equal(container.args[0], "backup");
        assert.ok(container.args.includes(`s3://${run.outputs.backupsBucket}`));
        assert.equal(backup.schedule, "*/15 * * * *");
        assert.equal(backup.suspend, role !== "primary");
        assert.equal(backup.jobTemplate.spec.template.spec.serviceAccountName, "autovideo-dr-backup");
        const restore = jobs["autovideo-dr-restore-test"];
        const args = restore.jobTemplate.spec.template.spec.containers[0].args;
        assert.deepEqual(args.slice(0, 2), ["restore", "latest"]);
        assert.ok(args.includes("--force"));
        assert.match(args[args.indexOf("--target") + 1], /Database=autovideo_restore_test;/, "a scratch database, never the live one");
        assert.match(container.args[container.args.indexOf("--from") + 1], /^Host=\$\(DATABASE_HOST\);/);
        assert.ok(!container.args.join(" ").includes("Password"), "no password in the job spec");
        assert.match(restore.schedule, /^\S+ \S+ 1 \* \*$/, "monthly");
        assert.equal(restore.suspend, role !== "primary");
        const sa = run.ofType("kubernetes:core/v1:ServiceAccount").find(s => s.name === "autovideo-dr-backup")!;
        assert.match(sa.inputs.metadata.annotations["eks.amazonaws.com/role-arn"], /autovideo-dr-jobs-backup/);
    });
}
