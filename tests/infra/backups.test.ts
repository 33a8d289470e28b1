// The backup tiers (policy/backup-tiers.json) and what the stacks make of them: one lifecycle rule
// per tier filtered by the tier's object tag, the bucket's default retention, the keep counts
// prune is run with. Arithmetic over tiers is property-tested.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import {
    BackupTier, coldStorageClasses, defaultRetentionDays, pruneArguments, tierLifecycleRules, tierNames, tierPolicy, validateTiers,
} from "../../infra/backupTiers";
import { denyOverwrites } from "../../infra/backups";
import { repoRoot } from "./harness";

const periodHours = { hourly: 1, daily: 24, weekly: 168 } as const;
const file = JSON.parse(fs.readFileSync(path.join(repoRoot, "policy", "backup-tiers.json"), "utf8"));

/** A tier policy that validateTiers must accept. */
const validPolicy = fc.record({
    tagKey: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
    tiers: fc.tuple(...tierNames.map(name => fc.record({
        keep: fc.integer({ min: 1, max: 200 }),
        extraLock: fc.integer({ min: 0, max: 400 }),
        cold: fc.option(fc.record({ storageClass: fc.constantFrom(...Object.keys(coldStorageClasses)), days: fc.integer({ min: 1, max: 400 }) }), { nil: null }),
    }).map(t => {
        const lockDays = Math.ceil((t.keep * periodHours[name]) / 24) + t.extraLock;
        const cold = t.cold === null ? null : { ...t.cold, days: Math.max(t.cold.days, coldStorageClasses[t.cold.storageClass].minimumAgeDays) };
        return { name, keep: t.keep, lockDays, coldAfterDays: cold?.days ?? null, storageClass: cold?.storageClass ?? null } as BackupTier;
    }))),
});

describe("backup tiers", () => {
    it("the shared file is the one the stacks deploy, unchanged", () => {
        assert.equal(tierPolicy.tagKey, file.tagKey);
        assert.equal(tierPolicy.tagKey, "autovideo-dr-tier", "the tag key the recovery side writes");
        assert.deepEqual(tierPolicy.tiers, tierNames.map(n => file.tiers.find((t: BackupTier) => t.name === n)));
    });

    it("turns every tier of the file into one lifecycle rule filtered by its tag, moving to its cold class", () => {
        const rules = tierLifecycleRules();
        assert.deepEqual(rules.map(r => r.filter), file.tiers.map((t: BackupTier) => ({ tag: { key: file.tagKey, value: t.name } })));
        for (const t of file.tiers as BackupTier[]) {
            const rule = rules.find(r => (r.filter as any).tag.value === t.name)!;
            assert.deepEqual(rule.transitions ?? [], t.storageClass === null ? [] : [{ days: t.coldAfterDays, storageClass: t.storageClass }], t.name);
        }
    });

    it("any valid policy: one rule per tier, by tag, transitions exactly where a class is named, no age-based deletion", () => {
        fc.assert(fc.property(validPolicy, p => {
            const policy = validateTiers(p);
            const rules = tierLifecycleRules(policy);
            assert.equal(rules.length, tierNames.length);
            for (const t of policy.tiers) {
                const matching = rules.filter(r => (r.filter as any)?.tag?.key === p.tagKey && (r.filter as any).tag.value === t.name);
                assert.equal(matching.length, 1);
                const rule = matching[0] as any;
                assert.equal(rule.expiration, undefined, "deleting is prune's, by keep count");
                assert.deepEqual(rule.transitions ?? [], t.storageClass === null ? [] : [{ days: t.coldAfterDays, storageClass: t.storageClass }]);
            }
            assert.equal(defaultRetentionDays(policy), policy.tiers.find(t => t.name === "hourly")!.lockDays);
        }));
    });

    it("any tier locked shorter than its keep window is refused, naming the tier and the least lock accepted", () => {
        fc.assert(fc.property(validPolicy, fc.constantFrom(...tierNames), fc.integer({ min: 1, max: 50 }), (p, name, short) => {
            const tier = p.tiers.find(t => t.name === name)!;
            const needed = Math.ceil((tier.keep * periodHours[name]) / 24);
            fc.pre(needed - short >= 1);
            const broken = { ...p, tiers: p.tiers.map(t => (t.name === name ? { ...t, lockDays: needed - short } : t)) };
            assert.throws(() => validateTiers(broken), new RegExp(`tier ${name} lockDays is ${needed - short}; accepted: at least ${needed}`));
        }));
    });

    it("refuses a missing tier, an unknown class and a transition S3 would refuse", () => {
        assert.throws(() => validateTiers({ ...file, tiers: file.tiers.slice(1) }), /exactly hourly, daily, weekly, each once/);
        assert.throws(() => validateTiers({ ...file, tiers: file.tiers.map((t: BackupTier) => t.name === "weekly" ? { ...t, storageClass: "TAPE" } : t) }), /storageClass is "TAPE"/);
        assert.throws(() => validateTiers({ ...file, tiers: file.tiers.map((t: BackupTier) => t.name === "daily" ? { ...t, storageClass: "STANDARD_IA", coldAfterDays: 7 } : t) }),
            /coldAfterDays is 7; accepted: an integer of at least 30 for STANDARD_IA/);
    });

    it("runs prune with the file's keep counts", () => {
        assert.deepEqual(pruneArguments(), file.tiers.flatMap((t: BackupTier) => [`--keep-${t.name}`, String(t.keep)]));
    });

    it("refuses overwrites: PutObject and CompleteMultipartUpload without If-None-Match, not the upload parts", () => {
        const s = denyOverwrites("arn:aws:s3:::b");
        assert.equal(s.Effect, "Deny");
        assert.equal(s.Resource, "arn:aws:s3:::b/*");
        // S3 evaluates s3:ObjectCreationOperation true for requests that create the object, false for
        // CreateMultipartUpload and UploadPart, which take no conditional header.
        assert.deepEqual(s.Condition, { Null: { "s3:if-none-match": "true" }, Bool: { "s3:ObjectCreationOperation": "true" } });
    });
});
