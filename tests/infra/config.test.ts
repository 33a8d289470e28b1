import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { forgetProgram, lastDeclared, runProgram, stackConfig, testSecrets } from "./harness";
import { defaultKubernetesVersion, kubernetesVersionProblem, loadGlobalSettings, loadSettings, SettingsError } from "../../infra/settings";

const secretKeys = Object.keys(testSecrets);
const prod = { ...stackConfig("prod"), ...testSecrets };
const dr = { ...stackConfig("dr"), ...testSecrets };
const global = stackConfig("global");

function load(config: Record<string, string>, keys: string[] = secretKeys) {
    pulumi.runtime.setAllConfig(config, keys);
    return loadSettings();
}

function loadGlobal(config: Record<string, string>) {
    pulumi.runtime.setAllConfig(config, []);
    return loadGlobalSettings();
}

/** Asserts that `read` refuses with a one-line error naming the key, the value and what is accepted. */
function refusesWith(read: () => unknown, key: string, value: string, accepted: RegExp) {
    assert.throws(read, (e: Error) => {
        assert.ok(e instanceof SettingsError, `${e}`);
        assert.ok(!e.message.includes("\n"), "one line");
        assert.ok(e.message.startsWith(`autovideo-dr:${key} is ${value}; accepted: `), e.message);
        assert.match(e.message, accepted);
        return true;
    });
}

function refuses(config: Record<string, string>, key: string, value: string, accepted: RegExp, keys: string[] = secretKeys) {
    refusesWith(() => load(config, keys), key, value, accepted);
}

const without = (config: Record<string, string>, key: string) => Object.fromEntries(Object.entries(config).filter(([k]) => k !== key));

describe("settings", () => {
    it("reads the committed prod and dr stack files", () => {
        const p = load(prod);
        assert.equal(p.role, "primary");
        assert.deepEqual(p.zones, ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]);
        assert.equal(p.offsite, undefined);
        const d = load(dr);
        assert.equal(d.role, "standby");
        assert.equal(d.peerStack, "organization/autovideo-dr/prod");
        assert.equal(d.offsite?.gcpRegion, "asia-east1");
    });

    it("refuses a wrong role", () => refuses({ ...prod, "autovideo-dr:role": "leader" }, "role", '"leader"', /primary \| standby/));
    it("refuses a missing role", () => refuses(without(prod, "autovideo-dr:role"), "role", "missing", /primary \| standby/));

    it("refuses fewer than 2 zones", () =>
        refuses({ ...prod, "autovideo-dr:zones": '["ap-northeast-1a"]' }, "zones", '["ap-northeast-1a"]', /at least 2 distinct availability zones of ap-northeast-1/));
    it("refuses zones of another region", () =>
        refuses({ ...prod, "autovideo-dr:zones": '["ap-southeast-1a","ap-southeast-1b"]' }, "zones", '["ap-southeast-1a","ap-southeast-1b"]', /zones of ap-northeast-1/));
    it("refuses zones that are not a list", () =>
        refuses({ ...prod, "autovideo-dr:zones": "ap-northeast-1a" }, "zones", '"ap-northeast-1a"', /a list of at least 2/));

    it("refuses a standby without a peer stack", () =>
        refuses(without(dr, "autovideo-dr:peerStack"), "peerStack", "missing", /organization\/project\/stack of the primary \(required when role is standby\)/));
    it("refuses a malformed peer stack", () =>
        refuses({ ...dr, "autovideo-dr:peerStack": "prod" }, "peerStack", '"prod"', /organization\/project\/stack/));

    it("refuses a malformed region", () =>
        refuses({ ...prod, "autovideo-dr:region": "tokyo" }, "region", '"tokyo"', /an AWS region such as ap-northeast-1/));
    it("refuses a peer region equal to the region", () =>
        refuses({ ...prod, "autovideo-dr:peerRegion": "ap-northeast-1" }, "peerRegion", '"ap-northeast-1"', /other than ap-northeast-1/));
    it("refuses a malformed GCP region", () =>
        refuses({ ...dr, "autovideo-dr:gcpRegion": "Taiwan" }, "gcpRegion", '"Taiwan"', /asia-east1/));

    it("refuses a bad database size", () =>
        refuses({ ...prod, "autovideo-dr:dbInstanceClass": "large" }, "dbInstanceClass", '"large"', /RDS instance class such as db\.r6g\.large/));
    it("refuses a bad cache size", () =>
        refuses({ ...prod, "autovideo-dr:cacheNodeType": "r7g.large" }, "cacheNodeType", '"r7g.large"', /cache\.r7g\.large/));
    it("refuses a storage size out of range", () =>
        refuses({ ...prod, "autovideo-dr:dbAllocatedStorageGb": "5" }, "dbAllocatedStorageGb", '"5"', /an integer from 20 to 65536/));
    it("refuses zero nodes per zone", () =>
        refuses({ ...prod, "autovideo-dr:nodesPerZone": "0" }, "nodesPerZone", '"0"', /an integer from 1 to 100/));

    it("refuses an unknown (misspelt) key rather than ignoring it", () =>
        refuses({ ...prod, "autovideo-dr:peerstack": "organization/autovideo-dr/dr" }, "peerstack", 'an unknown key', /one of the keys of an environment stack: scope, role, region, peerRegion, zones, peerStack,/));
    it("refuses a retired key and says what replaced it", () =>
        refuses({ ...dr, "autovideo-dr:offsiteAwsAccessKeyId": "AKIATESTTESTTESTTEST" }, "offsiteAwsAccessKeyId", "a retired key", /assumes an AWS role by federation/));
    it("refuses a global stack's key in an environment stack", () =>
        refuses({ ...prod, "autovideo-dr:fencedStacks": "[]" }, "fencedStacks", "an unknown key", /environment stack/));
    it("refuses an environment without the global stack", () =>
        refuses(without(prod, "autovideo-dr:globalStack"), "globalStack", "missing", /organization\/project\/stack of the global stack/));
    it("refuses an environment without the team channel's webhook", () =>
        refuses(without(prod, "autovideo-dr:alertWebhookUrl"), "alertWebhookUrl", "missing", /pulumi config set --secret autovideo-dr:alertWebhookUrl/, []));
    it("refuses a bucket default retention longer than the hourly tier's lock", () =>
        refuses({ ...prod, "autovideo-dr:backupLockDays": "7" }, "backupLockDays", '"7"', /an integer from 1 to 2/));
    it("refuses a database generation of 0", () =>
        refuses({ ...prod, "autovideo-dr:dbGeneration": "0" }, "dbGeneration", '"0"', /an integer from 1 to 999/));
    it("refuses a bad scope", () => refuses({ ...prod, "autovideo-dr:scope": "world" }, "scope", '"world"', /environment \| global/));
    it("refuses an EKS version past standard support, naming the ones that are supported", () =>
        refuses({ ...prod, "autovideo-dr:kubernetesVersion": "1.31" }, "kubernetesVersion", '"1.31"', /a version in EKS standard support on \d{4}-\d\d-\d\d: .*1\.35/));

    it("refuses a restore on a standby", () =>
        refuses({ ...dr, "autovideo-dr:dbRestoreSnapshot": "nightly-1" }, "dbRestoreSnapshot", '"nightly-1"', /unset while role is standby/));
    it("refuses a point-in-time restore without its source", () =>
        refuses({ ...prod, "autovideo-dr:dbRestoreTime": "latest" }, "dbRestoreSource", "missing", /required with dbRestoreTime/));

    it("refuses replicated backups of another region as the restore source", () =>
        refuses({ ...dr, "autovideo-dr:role": "primary", "autovideo-dr:dbRestoreTime": "latest",
            "autovideo-dr:dbRestoreSource": "arn:aws:rds:ap-northeast-1:123456789012:auto-backup:ab-PRODREGION1" },
            "dbRestoreSource", '"arn:aws:rds:ap-northeast-1:123456789012:auto-backup:ab-PRODREGION1"', /replicated into ap-southeast-1, this stack's region/, Object.keys(testSecrets)));
    it("refuses a restore source that is neither an instance nor replicated backups", () =>
        refuses({ ...prod, "autovideo-dr:dbRestoreTime": "latest", "autovideo-dr:dbRestoreSource": "arn:aws:rds:ap-northeast-1:123456789012:db:old" },
            "dbRestoreSource", '"arn:aws:rds:ap-northeast-1:123456789012:db:old"', /auto-backup:ab-/));
    it("refuses a retention lock that is not a boolean", () =>
        refuses({ ...dr, "autovideo-dr:offsiteRetentionLocked": "yes" }, "offsiteRetentionLocked", '"yes"', /true \| false/));
});

describe("EKS versions", () => {
    const at = (day: string) => new Date(`${day}T12:00:00Z`);
    it("accepts a version while it is in standard support and refuses it the day support ends", () => {
        assert.equal(kubernetesVersionProblem("1.34", at("2026-12-01")), undefined);
        assert.match(kubernetesVersionProblem("1.34", at("2026-12-02"))!, /1\.34's standard support ended 2026-12-02/);
    });
    it("refuses a version EKS never had, and 1.31 (the old default, past support)", () => {
        assert.match(kubernetesVersionProblem("1.99", at("2026-11-25"))!, /^a version in EKS standard support on 2026-11-25: 1\.34, 1\.35$/);
        assert.ok(kubernetesVersionProblem("1.31", at("2026-11-25")) !== undefined);
    });
    it("defaults to a version in standard support today", () => assert.equal(kubernetesVersionProblem(defaultKubernetesVersion, new Date()), undefined));
    it("says what to do once the table has nothing left in support", () =>
        assert.match(kubernetesVersionProblem("1.35", at("2027-04-01"))!, /added to eksStandardSupportEnds in infra\/settings\.ts/));
});

describe("global settings", () => {
    it("reads the committed global stack file", () => {
        const g = loadGlobal(global);
        assert.deepEqual(g.environments, [{ stack: "prod", region: "ap-northeast-1" }, { stack: "dr", region: "ap-southeast-1" }]);
        assert.equal(g.primaryStack, "prod");
        assert.deepEqual(g.fencedStacks, []);
        assert.equal(g.controlRegion, "us-east-1");
    });
    it("refuses to fence the primary", () =>
        refusesWith(() => loadGlobal({ ...global, "autovideo-dr:fencedStacks": '["prod"]' }), "primaryStack", '"prod"', /not fenced/));
    it("refuses a primary that is not an environment", () =>
        refusesWith(() => loadGlobal({ ...global, "autovideo-dr:primaryStack": "staging" }), "primaryStack", '"staging"', /one of the environments: prod, dr/));
    it("refuses a fence on an unknown stack", () =>
        refusesWith(() => loadGlobal({ ...global, "autovideo-dr:fencedStacks": '["stage"]' }), "fencedStacks", '["stage"]', /among prod, dr/));
    it("refuses anything but two environments in two regions", () =>
        refusesWith(() => loadGlobal({ ...global, "autovideo-dr:environments": '[{"stack":"prod","region":"ap-northeast-1"},{"stack":"dr","region":"ap-northeast-1"}]' }),
            "environments", '[{"stack":"prod","region":"ap-northeast-1"},{"stack":"dr","region":"ap-northeast-1"}]', /the two environments/));
    it("refuses an environment's key in the global stack", () =>
        refusesWith(() => loadGlobal({ ...global, "autovideo-dr:role": "primary" }), "role", "an unknown key", /a global stack: scope, controlRegion/));
});

describe("bad config stops the program before any resource", () => {
    it("declares nothing when the role is wrong", async () => {
        await assert.rejects(runProgram("prod", { ...prod, "autovideo-dr:role": "leader" }), /autovideo-dr:role is "leader"; accepted: primary \| standby/);
        // The program threw while loading settings, before its providers or anything else.
        assert.deepEqual(lastDeclared.map(r => r.type), []);
        forgetProgram();
    });
});

describe("restore inputs", () => {
    it("creates the primary database from a snapshot", async () => {
        const run = await runProgram("prod", { ...prod, "autovideo-dr:dbRestoreSnapshot": "autovideo-dr-nightly-2026-11-24" }, secretKeys);
        const db = run.one("aws:rds/instance:Instance");
        assert.equal(db.inputs.snapshotIdentifier, "autovideo-dr-nightly-2026-11-24");
        assert.equal(db.inputs.username, undefined, "the snapshot brings its user");
        assert.equal(db.inputs.password, undefined, "and its password");
        assert.equal(db.inputs.multiAz, true);
    });

    it("restores the primary database to a point in time", async () => {
        const run = await runProgram("prod", {
            ...prod, "autovideo-dr:dbRestoreTime": "2026-11-24T23:45:00Z", "autovideo-dr:dbRestoreSource": "autovideo-dr-db-old",
        }, secretKeys);
        const db = run.one("aws:rds/instance:Instance");
        assert.deepEqual(db.inputs.restoreToPointInTime, { sourceDbInstanceIdentifier: "autovideo-dr-db-old", restoreTime: "2026-11-24T23:45:00Z" });
        assert.equal(db.inputs.replicateSourceDb, undefined);
    });

    it("restores the promoted dr database to a point in time from the backups replicated into its region", async () => {
        // What `autovideo-dr restore --to-time T --stack dr` sets: the replica carries the damage, so
        // the database is created again from prod's automated backups as of T, in the dr region.
        const arn = "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-L2IJCEXJP7XQ7HOJ4SIEXAMPLE";
        const run = await runProgram("dr", {
            ...dr, "autovideo-dr:role": "primary", "autovideo-dr:dbRestoreTime": "2026-11-24T23:45:00Z", "autovideo-dr:dbRestoreSource": arn,
        }, Object.keys(testSecrets));
        const db = run.one("aws:rds/instance:Instance");
        assert.deepEqual(db.inputs.restoreToPointInTime, { sourceDbInstanceAutomatedBackupsArn: arn, restoreTime: "2026-11-24T23:45:00Z" });
        assert.equal(db.inputs.replicateSourceDb, undefined, "no longer a replica of the damaged primary");
        assert.equal(db.inputs.username, undefined, "the backups bring their user");
        assert.equal(db.inputs.storageEncrypted, true);
        assert.equal(db.inputs.deletionProtection, true);
        assert.equal(db.region, "ap-southeast-1");
    });

    it("restores the dr database to the latest restorable time", async () => {
        const arn = "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-L2IJCEXJP7XQ7HOJ4SIEXAMPLE";
        const run = await runProgram("dr", { ...dr, "autovideo-dr:role": "primary", "autovideo-dr:dbRestoreTime": "latest", "autovideo-dr:dbRestoreSource": arn }, Object.keys(testSecrets));
        assert.deepEqual(run.one("aws:rds/instance:Instance").inputs.restoreToPointInTime, { sourceDbInstanceAutomatedBackupsArn: arn, useLatestRestorableTime: true });
    });
});
