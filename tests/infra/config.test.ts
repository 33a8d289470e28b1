import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { forgetProgram, lastDeclared, runProgram, stackConfig, testSecrets } from "./harness";
import { loadSettings, SettingsError } from "../../infra/settings";

const prod = stackConfig("prod");
const dr = { ...stackConfig("dr"), ...testSecrets };

function load(config: Record<string, string>, secretKeys: string[] = []) {
    pulumi.runtime.setAllConfig(config, secretKeys);
    return loadSettings();
}

/** Asserts that `config` is refused with a one-line error naming the key, the value and what is accepted. */
function refuses(config: Record<string, string>, key: string, value: string, accepted: RegExp, secretKeys: string[] = []) {
    assert.throws(() => load(config, secretKeys), (e: Error) => {
        assert.ok(e instanceof SettingsError, `${e}`);
        assert.ok(!e.message.includes("\n"), "one line");
        assert.ok(e.message.startsWith(`autovideo-dr:${key} is ${value}; accepted: `), e.message);
        assert.match(e.message, accepted);
        return true;
    });
}

const without = (config: Record<string, string>, key: string) => Object.fromEntries(Object.entries(config).filter(([k]) => k !== key));

describe("settings", () => {
    it("reads the committed prod and dr stack files", () => {
        const p = load(prod);
        assert.equal(p.role, "primary");
        assert.deepEqual(p.zones, ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]);
        assert.equal(p.offsite, undefined);
        const d = load(dr, Object.keys(testSecrets));
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
        refuses(without(dr, "autovideo-dr:peerStack"), "peerStack", "missing", /organization\/project\/stack of the primary \(required when role is standby\)/, Object.keys(testSecrets)));
    it("refuses a malformed peer stack", () =>
        refuses({ ...dr, "autovideo-dr:peerStack": "prod" }, "peerStack", '"prod"', /organization\/project\/stack/, Object.keys(testSecrets)));

    it("refuses a malformed region", () =>
        refuses({ ...prod, "autovideo-dr:region": "tokyo" }, "region", '"tokyo"', /an AWS region such as ap-northeast-1/));
    it("refuses a peer region equal to the region", () =>
        refuses({ ...prod, "autovideo-dr:peerRegion": "ap-northeast-1" }, "peerRegion", '"ap-northeast-1"', /other than ap-northeast-1/));
    it("refuses a malformed GCP region", () =>
        refuses({ ...dr, "autovideo-dr:gcpRegion": "Taiwan" }, "gcpRegion", '"Taiwan"', /asia-east1/, Object.keys(testSecrets)));

    it("refuses a bad database size", () =>
        refuses({ ...prod, "autovideo-dr:dbInstanceClass": "large" }, "dbInstanceClass", '"large"', /RDS instance class such as db\.r6g\.large/));
    it("refuses a bad cache size", () =>
        refuses({ ...prod, "autovideo-dr:cacheNodeType": "r7g.large" }, "cacheNodeType", '"r7g.large"', /cache\.r7g\.large/));
    it("refuses a storage size out of range", () =>
        refuses({ ...prod, "autovideo-dr:dbAllocatedStorageGb": "5" }, "dbAllocatedStorageGb", '"5"', /an integer from 20 to 65536/));
    it("refuses zero nodes per zone", () =>
        refuses({ ...prod, "autovideo-dr:nodesPerZone": "0" }, "nodesPerZone", '"0"', /an integer from 1 to 100/));

    it("refuses an unknown (misspelt) key rather than ignoring it", () =>
        refuses({ ...prod, "autovideo-dr:peerstack": "organization/autovideo-dr/dr" }, "peerstack", 'an unknown key', /one of the keys role, region, peerRegion, zones, peerStack,/));

    it("refuses a restore on a standby", () =>
        refuses({ ...dr, "autovideo-dr:dbRestoreSnapshot": "nightly-1" }, "dbRestoreSnapshot", '"nightly-1"', /unset while role is standby/, Object.keys(testSecrets)));
    it("refuses a point-in-time restore without its source", () =>
        refuses({ ...prod, "autovideo-dr:dbRestoreTime": "latest" }, "dbRestoreSource", "missing", /required with dbRestoreTime/));

    it("refuses replicated backups of another region as the restore source", () =>
        refuses({ ...dr, "autovideo-dr:role": "primary", "autovideo-dr:dbRestoreTime": "latest",
            "autovideo-dr:dbRestoreSource": "arn:aws:rds:ap-northeast-1:123456789012:auto-backup:ab-PRODREGION1" },
            "dbRestoreSource", '"arn:aws:rds:ap-northeast-1:123456789012:auto-backup:ab-PRODREGION1"', /replicated into ap-southeast-1, this stack's region/, Object.keys(testSecrets)));
    it("refuses a restore source that is neither an instance nor replicated backups", () =>
        refuses({ ...prod, "autovideo-dr:dbRestoreTime": "latest", "autovideo-dr:dbRestoreSource": "arn:aws:rds:ap-northeast-1:123456789012:db:old" },
            "dbRestoreSource", '"arn:aws:rds:ap-northeast-1:123456789012:db:old"', /auto-backup:ab-/));

    it("refuses off-site config without the secret key", () =>
        refuses(without(dr, "autovideo-dr:offsiteAwsSecretAccessKey"), "offsiteAwsSecretAccessKey", "missing", /pulumi config set --secret/, ["autovideo-dr:offsiteAwsAccessKeyId"]));
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
        const run = await runProgram("prod", { ...prod, "autovideo-dr:dbRestoreSnapshot": "autovideo-dr-nightly-2026-11-24" });
        const db = run.one("aws:rds/instance:Instance");
        assert.equal(db.inputs.snapshotIdentifier, "autovideo-dr-nightly-2026-11-24");
        assert.equal(db.inputs.username, undefined, "the snapshot brings its user");
        assert.equal(db.inputs.multiAz, true);
    });

    it("restores the primary database to a point in time", async () => {
        const run = await runProgram("prod", {
            ...prod, "autovideo-dr:dbRestoreTime": "2026-11-24T23:45:00Z", "autovideo-dr:dbRestoreSource": "autovideo-dr-db-old",
        });
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
