import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runProgram, Run, stackConfig, testSecrets } from "./harness";
import { checkBackupPlan, checkCommon, checkWorkloads, failoverType } from "./checks";

// The dr stack after `pulumi config set -s dr autovideo-dr:role primary`: same config otherwise.
describe("dr stack after promotion (role primary)", () => {
    let run: Run;
    before(async () => {
        const config = { ...stackConfig("dr"), ...testSecrets, "autovideo-dr:role": "primary" };
        run = await runProgram("dr", config, Object.keys(testSecrets));
    });

    checkCommon(() => run, { region: "ap-southeast-1", peerRegion: "ap-northeast-1", zones: 3 });

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
        assert.equal(db.inputs.dbName, undefined);
        assert.equal(db.inputs.snapshotIdentifier, undefined);
        const copy = run.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
        assert.equal(copy.region, "ap-northeast-1");
        assert.equal(copy.inputs.sourceDbInstanceArn, run.outputs.databaseArn);
    });

    it("no longer reads the failed peer's state, nor pulls replication into itself", () => {
        assert.equal(run.ofType("pulumi:pulumi:StackReference").length, 0);
        assert.equal(run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig").length, 0);
    });

    it("heads a global datastore of its own", () => {
        const group = run.one("aws:elasticache/replicationGroup:ReplicationGroup");
        assert.equal(group.inputs.globalReplicationGroupId, undefined);
        assert.equal(group.inputs.transitEncryptionEnabled, true);
        assert.equal(run.one("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup").inputs.primaryReplicationGroupId, group.name);
    });

    checkBackupPlan(() => run, "ap-northeast-1");
    checkWorkloads(() => run, "primary");

    it("scales node groups to the primary's size", () => {
        for (const g of run.ofType("aws:eks/nodeGroup:NodeGroup")) assert.equal(g.inputs.scalingConfig.desiredSize, 2);
    });

    it("flips the failover record to PRIMARY", () => assert.equal(failoverType(run), "PRIMARY"));

    it("keeps the off-site copy", () => assert.equal(run.ofType("gcp:storage/transferJob:TransferJob").length, 1));
});
