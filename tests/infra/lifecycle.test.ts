// The stacks' whole life, run after run as the operator drives it: the first `pulumi up -s dr`
// (standby), the promotion of dr, the failback that demotes prod, and the switch back. Resources
// are compared across runs by URN, as the engine compares them: the same URN is an update in
// place, a URN that disappears is deleted, a new one is created.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { drPromotedOutputs, environmentConfig, prodOutputs, runProgram, Run, unsecret } from "./harness";

const rds = "aws:rds/instance:Instance";
const cacheGroup = "aws:elasticache/replicationGroup:ReplicationGroup";

function bucketReady(run: Run) {
    const versioning = (bucketArn: string) => run.ofType("aws:s3/bucketVersioning:BucketVersioning").find(v => `arn:aws:s3:::${v.inputs.bucket}` === bucketArn)!;
    const lock = (bucketArn: string) => run.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").find(v => `arn:aws:s3:::${v.inputs.bucket}` === bucketArn);
    return { versioning, lock };
}

/** Every destination's versioning (and the backups' lock) is in place before its replication rule, and the rule before its batch job. */
function checkReplicationOrder(run: Run, sourceRegion: string, sourceBuckets: string[]) {
    const configs = run.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig");
    assert.deepEqual(configs.map(c => c.inputs.bucket).sort(), [...sourceBuckets].sort());
    const { versioning, lock } = bucketReady(run);
    for (const c of configs) {
        const destination = c.inputs.rules[0].destination.bucket;
        assert.ok(run.after(c, versioning(destination)), `${c.name}: written after ${destination} is versioned`);
        if (c.name.endsWith("-backups")) assert.ok(run.after(c, lock(destination)!), `${c.name}: written after the destination's Object Lock`);
        assert.equal(c.region, sourceRegion);
    }
    const jobs = run.ofType("command:local:Command");
    assert.equal(jobs.length, configs.length, "a batch replication of existing objects for every rule");
    for (const job of jobs) {
        const config = configs.find(c => job.name === `${c.name}-existing`)!;
        assert.ok(config, `${job.name} belongs to a rule`);
        assert.ok(run.after(job, config), `${job.name} runs once its rule exists`);
        assert.match(job.inputs.create, /^aws s3control create-job /);
        assert.match(job.inputs.create, /S3ReplicateObject/);
        assert.equal(job.inputs.environment.SOURCE_REGION, sourceRegion, "Batch Operations jobs run in the source bucket's region");
        const generator = JSON.parse(job.inputs.environment.MANIFEST_GENERATOR).S3JobManifestGenerator;
        assert.equal(generator.SourceBucket, `arn:aws:s3:::${config.inputs.bucket}`);
        assert.deepEqual(generator.Filter, { EligibleForReplication: true, ObjectReplicationStatuses: ["NONE", "FAILED"] });
        assert.deepEqual(job.inputs.triggers, [`${config.name}-id`], "re-run when the rule is re-created (the rule's id)");
    }
}

describe("the stacks' life: first up of dr, promotion, failback, switch back", () => {
    let prod: Run;
    let standby: Run;
    let promoted: Run;
    let demoted: Run;
    let back: Run;
    before(async () => {
        const run = async (stack: "prod" | "dr", overrides: Record<string, string> = {}) => {
            const { config, secretKeys } = environmentConfig(stack, overrides);
            return runProgram(stack, config, secretKeys);
        };
        prod = await run("prod");
        standby = await run("dr");
        promoted = await run("dr", { "autovideo-dr:role": "primary" });
        // Failback: prod's region is back; prod becomes dr's standby under a new database generation.
        const failback = { "autovideo-dr:role": "standby", "autovideo-dr:peerStack": "organization/autovideo-dr/dr", "autovideo-dr:dbGeneration": "2" };
        demoted = await run("prod", failback);
        back = await run("prod", { ...failback, "autovideo-dr:role": "primary" });
    });

    describe("first pulumi up -s dr", () => {
        it("orders every destination's versioning before its replication rule, and replicates the objects prod already had", () =>
            checkReplicationOrder(standby, "ap-northeast-1", [prodOutputs.uploadsBucket, prodOutputs.modelsBucket, prodOutputs.generatedBucket, prodOutputs.backupsBucket]));

        it("enables the Storage Transfer API before looking up its service agent", () => {
            const api = standby.ofType("gcp:projects/service:Service").find(s => s.inputs.service === "storagetransfer.googleapis.com")!;
            assert.equal(api.inputs.disableOnDestroy, false);
            const lookup = standby.invokes.filter(i => i.token === "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount");
            assert.equal(lookup.length, 1);
            assert.ok(lookup[0].order > api.order, "the look-up waits for the API (the agent exists only once it is enabled)");
        });

        it("lets the transfer assume a role by federation, with no access key anywhere", () => {
            const job = standby.one("gcp:storage/transferJob:TransferJob");
            const source = unsecret(job.inputs.transferSpec).value.awsS3DataSource;
            assert.equal(source.awsAccessKey, undefined);
            const role = standby.one("aws:iam/role:Role", "autovideo-dr-offsite-reader");
            assert.match(source.roleArn, /:autovideo-dr-offsite-reader$/, "the role below");
            const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
            assert.deepEqual(trust.Principal, { Federated: "accounts.google.com" });
            assert.equal(trust.Action, "sts:AssumeRoleWithWebIdentity");
            assert.deepEqual(trust.Condition, { StringEquals: { "accounts.google.com:sub": "109876543210987654321" } }, "only this project's transfer agent");
            assert.equal(standby.ofType("aws:iam/user:User").length + standby.ofType("aws:iam/accessKey:AccessKey").length, 0);
        });

        it("gives the transfer agent write-and-read on the off-site bucket, nothing that could lift its retention", () => {
            const grants = standby.ofType("gcp:storage/bucketIAMMember:BucketIAMMember");
            assert.deepEqual(grants.map(g => g.inputs.role).sort(), ["roles/storage.legacyBucketWriter", "roles/storage.legacyObjectReader"]);
            const bucket = standby.one("gcp:storage/bucket:Bucket");
            assert.equal(bucket.inputs.retentionPolicy.isLocked, false, "locking is a deliberate, irreversible step (offsiteRetentionLocked)");
            const spec = unsecret(standby.one("gcp:storage/transferJob:TransferJob").inputs.transferSpec).value;
            assert.equal(spec.transferOptions.overwriteWhen, "NEVER");
            assert.equal(spec.objectConditions.maxTimeElapsedSinceLastModification, `${6 * 86400}s`, "only what is still warm in S3 (cold after 7 days)");
        });
    });

    describe("promotion (dr role primary)", () => {
        it("promotes the database in place: same resource, no replication source, nothing that forces a new instance changes", () => {
            const before = standby.one(rds);
            const after = promoted.one(rds);
            assert.equal(after.urn, before.urn);
            assert.equal(before.inputs.replicateSourceDb, prodOutputs.databaseArn);
            assert.equal(after.inputs.replicateSourceDb, undefined);
            for (const key of ["kmsKeyId", "storageEncrypted", "username", "dbName", "snapshotIdentifier", "restoreToPointInTime", "identifier"]) {
                assert.deepEqual(after.inputs[key], before.inputs[key], `${key} unchanged`);
            }
        });

        it("makes the cache primary by construction: a new group outside any datastore, heading its own; the secondary goes", () => {
            const secondary = standby.one(cacheGroup);
            const primary = promoted.one(cacheGroup);
            assert.notEqual(primary.urn, secondary.urn, "a different resource, not the secondary with an input dropped");
            assert.equal(promoted.byUrn(secondary.urn), undefined, "the secondary is no longer declared: it is disassociated and deleted");
            assert.equal(primary.inputs.globalReplicationGroupId, undefined);
            const datastore = promoted.one("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup");
            assert.equal(datastore.inputs.primaryReplicationGroupId, primary.name);
            assert.ok(promoted.after(datastore, primary));
        });

        it("changes only what a promotion must: database, cache, node groups, workloads; drops the replication it pulled in", () => {
            const changed = promoted.resources.filter(r => standby.byUrn(r.urn) !== undefined && JSON.stringify(standby.byUrn(r.urn)!.inputs) !== JSON.stringify(r.inputs));
            assert.deepEqual([...new Set(changed.map(r => r.type))].sort(), [
                "aws:backup/selection:Selection", // the database joins the AWS Backup plan (a replica cannot)
                "aws:eks/nodeGroup:NodeGroup",
                "aws:rds/instance:Instance",
                "kubernetes:apps/v1:Deployment",
                "kubernetes:batch/v1:CronJob",
                "kubernetes:core/v1:ConfigMap", // DR_ROLE and the new cache endpoint
            ], "no tag or name that carries the role ripples through every resource");
            const created = promoted.resources.filter(r => standby.byUrn(r.urn) === undefined).map(r => r.type);
            assert.deepEqual([...new Set(created)].sort(), [
                "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
                "aws:elasticache/replicationGroup:ReplicationGroup",
                "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
            ]);
        });

        it("touches the lost region only where a later update converges: the PITR copy into it and the rules on its buckets", () => {
            const inPeer = promoted.resources.filter(r => r.region === "ap-northeast-1" && r.type.startsWith("aws:"));
            assert.deepEqual([...new Set(inPeer.map(r => r.type))].sort(),
                ["aws:kms/key:Key", "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"],
                "the database, cache, cluster and DNS of the promotion are all in dr's region or global");
            const key = (run: Run) => run.one("aws:kms/key:Key", "autovideo-dr-peer-key");
            assert.deepEqual(key(promoted).inputs, key(standby).inputs, "the peer-region key is unchanged: no call reaches the lost region for it");
            // What the standby declared in prod's region and the promoted run drops (deleted once prod's region answers).
            const dropped = standby.resources.filter(r => r.region === "ap-northeast-1" && promoted.byUrn(r.urn) === undefined);
            assert.deepEqual([...new Set(dropped.map(r => r.type))], ["aws:s3/bucketReplicationConfig:BucketReplicationConfig"]);
        });

        it("resumes the backup and restore-test jobs in dr", () => {
            const suspended = (run: Run, name: string) => run.ofType("kubernetes:batch/v1:CronJob").find(j => j.name === name)!.inputs.spec.suspend;
            assert.equal(suspended(standby, "autovideo-dr-backup"), true);
            assert.equal(suspended(promoted, "autovideo-dr-backup"), false);
            assert.equal(suspended(promoted, "autovideo-dr-restore-test"), false);
        });
    });

    describe("failback (prod role standby, peerStack dr, dbGeneration 2)", () => {
        it("declares a new replica resource for prod's database: RDS refuses to make a promoted instance a replica again", () => {
            const old = prod.one(rds);
            const replica = demoted.one(rds);
            assert.notEqual(replica.urn, old.urn);
            assert.equal(replica.name, "autovideo-dr-db-2");
            assert.equal(replica.inputs.replicateSourceDb, drPromotedOutputs.databaseArn);
            assert.equal(replica.inputs.username, undefined);
            assert.equal(replica.inputs.password, undefined);
            assert.equal(replica.inputs.skipFinalSnapshot, true);
            assert.equal(demoted.byUrn(old.urn), undefined, "the old primary is no longer declared");
            assert.ok(old.retainOnDelete, "so Pulumi releases it, running and deletion-protected, for the operator to retire deliberately");
            assert.equal(demoted.outputs.databaseGeneration, 2);
        });

        it("joins dr's cache datastore and drops its own", () => {
            const group = demoted.one(cacheGroup);
            assert.equal(group.inputs.globalReplicationGroupId, drPromotedOutputs.cacheGlobalReplicationGroupId);
            assert.notEqual(group.urn, prod.one(cacheGroup).urn);
            assert.equal(demoted.ofType("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup").length, 0);
        });

        it("replicates dr's buckets back into prod, including everything dr wrote during the incident", () =>
            checkReplicationOrder(demoted, "ap-southeast-1", [drPromotedOutputs.uploadsBucket, drPromotedOutputs.modelsBucket, drPromotedOutputs.generatedBucket, drPromotedOutputs.backupsBucket]));

        it("suspends prod's backups and runs it as a pilot light", () => {
            assert.equal(demoted.ofType("kubernetes:batch/v1:CronJob").find(j => j.name === "autovideo-dr-backup")!.inputs.spec.suspend, true);
            for (const d of demoted.ofType("kubernetes:apps/v1:Deployment")) assert.equal(d.inputs.spec.replicas, 1, d.name);
        });
    });

    describe("switch back (prod role primary again)", () => {
        it("promotes generation 2 in place, with no new user or password", () => {
            const replica = demoted.one(rds);
            const primary = back.one(rds);
            assert.equal(primary.urn, replica.urn);
            assert.equal(primary.inputs.replicateSourceDb, undefined);
            assert.equal(primary.inputs.username, undefined);
            assert.equal(primary.inputs.password, undefined);
            assert.ok(primary.retainOnDelete);
        });
    });
});
