import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { asArray, environmentConfig, peerOutputs, runProgram, Run, statements } from "./harness";
import { checkBackupPlan, checkCommon, checkWorkloads } from "./checks";

describe("dr stack as standby (ap-southeast-1, peer prod)", () => {
    let run: Run;
    before(async () => {
        const { config, secretKeys } = environmentConfig("dr");
        run = await runProgram("dr", config, secretKeys);
    });

    checkCommon(() => run, { stack: "dr", region: "ap-southeast-1", peerRegion: "ap-northeast-1", zones: 3 });

    it("reads the primary through a StackReference to the configured peer stack", () => {
        assert.ok(run.ofType("pulumi:pulumi:StackReference").some(r => r.inputs.name === "organization/autovideo-dr/prod"));
        assert.equal(run.outputs.role, "standby");
        assert.equal(run.outputs.peerStack, "organization/autovideo-dr/prod");
    });

    it("declares the database as a cross-region read replica of the peer's database, deletable without a final snapshot", () => {
        const db = run.one("aws:rds/instance:Instance");
        assert.equal(db.inputs.replicateSourceDb, peerOutputs.databaseArn);
        assert.equal(run.outputs.databaseReplicaSource, peerOutputs.databaseArn);
        assert.equal(db.region, "ap-southeast-1");
        assert.equal(db.inputs.storageEncrypted, true);
        assert.match(db.inputs.kmsKeyId, /^arn:aws:kms:ap-southeast-1:/, "a cross-region encrypted replica needs a key of its own region");
        assert.equal(db.inputs.username, undefined, "a replica inherits its user");
        assert.equal(db.inputs.password, undefined, "and its password");
        assert.equal(db.inputs.engine, undefined, "and its engine");
        assert.equal(db.inputs.deletionProtection, true);
        // RDS takes no final snapshot of a replica: DeleteDBInstance needs SkipFinalSnapshot and no snapshot identifier.
        assert.equal(db.inputs.skipFinalSnapshot, true);
        assert.equal(db.inputs.finalSnapshotIdentifier, undefined);
        assert.equal(db.retainOnDelete, false, "a replica holds nothing its source does not");
        assert.equal(run.ofType("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication").length, 0);
    });

    it("joins the primary's cache global datastore as its secondary", () => {
        const group = run.one("aws:elasticache/replicationGroup:ReplicationGroup");
        assert.equal(group.name, "autovideo-dr-cache-secondary");
        assert.equal(group.inputs.globalReplicationGroupId, peerOutputs.cacheGlobalReplicationGroupId);
        assert.equal(group.inputs.multiAzEnabled, true);
        assert.equal(group.inputs.automaticFailoverEnabled, true);
        assert.equal(run.ofType("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup").length, 0);
        assert.equal(run.outputs.cacheRole, "secondary");
    });

    it("owns replication rules on the primary's buckets, in the primary's region, into its own buckets within 15 minutes", () => {
        const configs = run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        assert.deepEqual(configs.map(c => c.inputs.bucket).sort(),
            [peerOutputs.uploadsBucket, peerOutputs.modelsBucket, peerOutputs.generatedBucket, peerOutputs.backupsBucket].sort());
        for (const c of configs) {
            assert.equal(c.region, "ap-northeast-1", `${c.name} is declared through the provider for the primary's region`);
            assert.equal(c.providerName, "peer");
            const kind = c.name.replace("autovideo-dr-replication-", "");
            const rule = c.inputs.rules[0];
            assert.equal(rule.status, "Enabled");
            assert.equal(rule.destination.bucket, `arn:aws:s3:::${run.outputs[`${kind}Bucket`]}`);
            assert.deepEqual(rule.destination.replicationTime, { status: "Enabled", time: { minutes: 15 } });
            assert.equal(rule.destination.metrics.status, "Enabled");
            assert.equal(rule.destination.encryptionConfiguration.replicaKmsKeyId, run.outputs.kmsKeyArn);
            assert.equal(rule.sourceSelectionCriteria.sseKmsEncryptedObjects.status, "Enabled");
            assert.equal(rule.deleteMarkerReplication.status, "Disabled", "a delete on the primary does not propagate");
        }
        const policy = statements(run.one("aws:iam/rolePolicy:RolePolicy", "autovideo-dr-replication-policy").inputs.policy);
        const decrypt = policy.find(s => asArray(s.Action).includes("kms:Decrypt"))!;
        assert.deepEqual(asArray(decrypt.Resource), [peerOutputs.kmsKeyArn]);
        assert.deepEqual(policy.flatMap(s => asArray(s.Action)).filter(a => /Delete|\*/.test(a)), []);
    });

    checkBackupPlan(() => run, "ap-northeast-1");
    checkWorkloads(() => run, "standby");

    it("keeps one node per zone (pilot light)", () => {
        for (const g of run.ofType("aws:eks/nodeGroup:NodeGroup")) assert.equal(g.inputs.scalingConfig.desiredSize, 1);
    });

    it("alarms when the replica lags beyond the RPO", () => {
        const lag = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find(a => a.inputs.metricName === "ReplicaLag");
        assert.equal(lag?.inputs.threshold, 900);
    });
});
