import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { environmentConfig, globalOutputs, runProgram, Run } from "./harness";
import { checkBackupPlan, checkCommon, checkWorkloads } from "./checks";

describe("prod stack (primary, ap-northeast-1)", () => {
    let run: Run;
    before(async () => {
        const { config, secretKeys } = environmentConfig("prod");
        run = await runProgram("prod", config, secretKeys);
    });

    checkCommon(() => run, { stack: "prod", region: "ap-northeast-1", peerRegion: "ap-southeast-1", zones: 3 });

    it("exports role primary, generation 1 and no replica source", () => {
        assert.equal(run.outputs.role, "primary");
        assert.equal(run.outputs.region, "ap-northeast-1");
        assert.equal(run.outputs.databaseReplicaSource, "");
        assert.equal(run.outputs.databaseGeneration, 1);
    });

    it("declares a Multi-AZ, encrypted, deletion-protected primary database with PITR backups replicated to the peer region", () => {
        const db = run.one("aws:rds/instance:Instance");
        assert.equal(db.name, "autovideo-dr-db", "generation 1 keeps the name an existing prod was created under");
        assert.equal(db.inputs.replicateSourceDb, undefined);
        assert.equal(db.inputs.engine, "postgres");
        assert.equal(db.inputs.engineVersion, "15");
        assert.equal(db.inputs.multiAz, true);
        assert.equal(db.inputs.storageEncrypted, true);
        assert.match(db.inputs.kmsKeyId, /^arn:aws:kms:ap-northeast-1:/);
        assert.equal(db.inputs.deletionProtection, true);
        assert.equal(db.inputs.backupRetentionPeriod, 14);
        assert.equal(db.inputs.skipFinalSnapshot, false, "a primary keeps a final snapshot");
        assert.ok(db.retainOnDelete, "a database that is or was primary is never deleted by the stack");
        const copy = run.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
        assert.equal(copy.region, "ap-southeast-1");
        assert.equal(copy.inputs.sourceDbInstanceArn, run.outputs.databaseArn);
        assert.match(copy.inputs.kmsKeyId, /^arn:aws:kms:ap-southeast-1:/);
    });

    it("sets the master password from the global stack's secret, never lets RDS manage it (RDS would then refuse the cross-region replica)", () => {
        const db = run.one("aws:rds/instance:Instance");
        assert.equal(db.inputs.manageMasterUserPassword, undefined);
        assert.equal(db.inputs.username, "autovideo");
        assert.equal(db.inputs.dbName, "autovideo");
        assert.equal(db.inputs.password?.value ?? db.inputs.password, globalOutputs.databasePassword);
        assert.match(run.outputs.databaseMasterSecretArn, /^arn:aws:secretsmanager:ap-northeast-1:.*:secret:autovideo-dr\/database-/);
    });

    it("heads the cache's global datastore", () => {
        const group = run.one("aws:elasticache/replicationGroup:ReplicationGroup");
        assert.equal(group.name, "autovideo-dr-cache");
        assert.equal(group.inputs.globalReplicationGroupId, undefined);
        assert.equal(group.inputs.atRestEncryptionEnabled, true);
        assert.equal(group.inputs.transitEncryptionEnabled, true);
        const global = run.one("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup");
        assert.equal(global.inputs.primaryReplicationGroupId, group.name);
        assert.equal(run.outputs.cacheGlobalReplicationGroupId, "quwsw-autovideo-dr");
        assert.equal(run.outputs.cacheRole, "primary");
    });

    it("leaves bucket replication to the standby stack and reads no peer", () => {
        assert.equal(run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig").length, 0);
        assert.equal(run.ofType("command:local:Command").length, 0);
        assert.deepEqual(run.ofType("pulumi:pulumi:StackReference").map(r => r.inputs.name), ["organization/autovideo-dr/global"]);
        assert.deepEqual(run.outputs.batchReplicationJobs, {});
    });

    checkBackupPlan(() => run, "ap-southeast-1");
    checkWorkloads(() => run, "primary");

    it("declares no off-site copy (prod has no GCP config)", () => {
        assert.equal(run.ofType("gcp:storage/bucket:Bucket").length, 0);
        assert.equal(run.outputs.gcsBucket, "");
    });
});
