import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runProgram, Run, stackConfig } from "./harness";
import { checkCommon, checkBackupPlan, checkWorkloads, failoverType } from "./checks";

describe("prod stack (primary, ap-northeast-1)", () => {
    let run: Run;
    before(async () => { run = await runProgram("prod", stackConfig("prod")); });

    checkCommon(() => run, { region: "ap-northeast-1", peerRegion: "ap-southeast-1", zones: 3 });

    it("exports role primary and no replica source", () => {
        assert.equal(run.outputs.role, "primary");
        assert.equal(run.outputs.region, "ap-northeast-1");
        assert.equal(run.outputs.databaseReplicaSource, "");
    });

    it("declares a Multi-AZ, encrypted, deletion-protected primary database with PITR backups replicated to the peer region", () => {
        const db = run.one("aws:rds/instance:Instance");
        assert.equal(db.inputs.replicateSourceDb, undefined);
        assert.equal(db.inputs.engine, "postgres");
        assert.equal(db.inputs.engineVersion, "15");
        assert.equal(db.inputs.multiAz, true);
        assert.equal(db.inputs.storageEncrypted, true);
        assert.match(db.inputs.kmsKeyId, /^arn:aws:kms:ap-northeast-1:/);
        assert.equal(db.inputs.deletionProtection, true);
        assert.equal(db.inputs.backupRetentionPeriod, 14);
        assert.equal(db.inputs.manageMasterUserPassword, true, "the password lives in Secrets Manager, never in config");
        assert.match(run.outputs.databaseMasterSecretArn, /^arn:aws:secretsmanager:ap-northeast-1:/);
        const copy = run.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
        assert.equal(copy.region, "ap-southeast-1");
        assert.equal(copy.inputs.sourceDbInstanceArn, run.outputs.databaseArn);
        assert.match(copy.inputs.kmsKeyId, /^arn:aws:kms:ap-southeast-1:/);
    });

    it("heads the cache's global datastore", () => {
        const group = run.one("aws:elasticache/replicationGroup:ReplicationGroup");
        assert.equal(group.inputs.globalReplicationGroupId, undefined);
        assert.equal(group.inputs.atRestEncryptionEnabled, true);
        assert.equal(group.inputs.transitEncryptionEnabled, true);
        const global = run.one("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup");
        assert.equal(global.inputs.primaryReplicationGroupId, group.name);
        assert.equal(run.outputs.cacheGlobalReplicationGroupId, "ldgnf-autovideo-dr");
    });

    it("leaves bucket replication to the standby stack", () => {
        assert.equal(run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig").length, 0);
        assert.equal(run.ofType("pulumi:pulumi:StackReference").length, 0);
    });

    checkBackupPlan(() => run, "ap-southeast-1");
    checkWorkloads(() => run, "primary");

    it("publishes a PRIMARY failover record", () => assert.equal(failoverType(run), "PRIMARY"));

    it("declares no off-site copy (prod has no GCP config)", () => {
        assert.equal(run.ofType("gcp:storage/bucket:Bucket").length, 0);
        assert.equal(run.outputs.gcsBucket, "");
    });
});
