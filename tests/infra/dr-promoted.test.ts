import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { environmentConfig, runProgram, Run } from "./harness";
import { checkBackupPlan, checkCommon, checkWorkloads } from "./checks";

// The dr stack after `pulumi config set -s dr autovideo-dr:role primary`: same config otherwise.
describe("dr stack after promotion (role primary)", () => {
    let run: Run;
    before(async () => {
        const { config, secretKeys } = environmentConfig("dr", { "autovideo-dr:role": "primary" });
        run = await runProgram("dr", config, secretKeys);
    });

    checkCommon(() => run, { stack: "dr", region: "ap-southeast-1", peerRegion: "ap-northeast-1", zones: 3 });

    it("promotes the replica in place: no replication source, Multi-AZ, PITR backups copied to the old primary's region", () => {
        const db = run.one("aws:rds/instance:Instance");
        assert.equal(db.inputs.replicateSourceDb, undefined);
        assert.equal(run.outputs.databaseReplicaSource, "");
        assert.equal(db.inputs.multiAz, true);
        assert.equal(db.inputs.backupRetentionPeriod, 14);
        assert.equal(db.inputs.deletionProtection, true);
        assert.equal(db.inputs.storageEncrypted, true);
        // Promotion must not replace the database: nothing that forces a new instance changes.
        assert.equal(db.inputs.username, undefined);
        assert.equal(db.inputs.password, undefined);
        assert.equal(db.inputs.dbName, undefined);
        assert.equal(db.inputs.snapshotIdentifier, undefined);
        assert.equal(db.inputs.skipFinalSnapshot, false, "now a primary: a final snapshot if it is ever deleted");
        assert.ok(db.retainOnDelete);
        const copy = run.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
        assert.equal(copy.region, "ap-northeast-1");
        assert.equal(copy.inputs.sourceDbInstanceArn, run.outputs.databaseArn);
    });

    it("no longer reads the failed peer's state, nor pulls replication into itself", () => {
        assert.deepEqual(run.ofType("pulumi:pulumi:StackReference").map(r => r.inputs.name), ["organization/autovideo-dr/global"]);
        assert.equal(run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig").length, 0);
        assert.equal(run.ofType("command:local:Command").length, 0);
    });

    it("heads a global datastore of its own with a new primary group", () => {
        const group = run.one("aws:elasticache/replicationGroup:ReplicationGroup");
        assert.equal(group.name, "autovideo-dr-cache");
        assert.equal(group.inputs.globalReplicationGroupId, undefined);
        assert.equal(group.inputs.transitEncryptionEnabled, true);
        assert.equal(run.one("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup").inputs.primaryReplicationGroupId, group.name);
        assert.equal(run.outputs.cacheGlobalReplicationGroupId, "vlqxn-autovideo-dr", "ap-southeast-1's prefix: no clash with prod's datastore");
    });

    checkBackupPlan(() => run, "ap-northeast-1");
    checkWorkloads(() => run, "primary");

    it("scales node groups to the primary's size", () => {
        for (const g of run.ofType("aws:eks/nodeGroup:NodeGroup")) assert.equal(g.inputs.scalingConfig.desiredSize, 2);
    });

    it("keeps the off-site copy", () => assert.equal(run.ofType("gcp:storage/transferJob:TransferJob").length, 1));
});
