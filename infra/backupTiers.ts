import * as aws from "@pulumi/aws";
import policy from "../policy/backup-tiers.json";

/**
 * The plan's backup tiers (每小時 / 每日 / 每週備份), read from policy/backup-tiers.json: the one
 * place both halves take them from. The recovery side tags each backup object with
 * `<tagKey>=<tier>` and gives it Object Lock retention of that tier's lockDays; the stacks turn the
 * same file into the backup bucket's lifecycle rules and its default retention.
 */
export const tierNames = ["hourly", "daily", "weekly"] as const;
export type TierName = (typeof tierNames)[number];

export interface BackupTier {
    name: TierName;
    /** How many periods (hours, days, weeks) of the tier keep their newest backup. */
    keep: number;
    /** Object Lock retention of a backup of this tier, in days. */
    lockDays: number;
    /** When the lifecycle moves a backup of this tier to cold storage; null stays in STANDARD. */
    coldAfterDays: number | null;
    storageClass: string | null;
}

export interface TierPolicy {
    tagKey: string;
    tiers: BackupTier[];
}

/** Hours a period of each tier spans: keep counts of hourly, daily and weekly tiers in hours. */
const periodHours: Record<TierName, number> = { hourly: 1, daily: 24, weekly: 24 * 7 };

/**
 * S3 storage classes a lifecycle rule may transition to, with the earliest age S3 accepts for the
 * transition: S3 refuses a lifecycle configuration that moves objects to STANDARD_IA or
 * ONEZONE_IA before 30 days; the Glacier classes have no such floor (S3 user guide,
 * "Transitioning objects using Amazon S3 Lifecycle", constraints).
 */
export const coldStorageClasses: Record<string, { minimumAgeDays: number }> = {
    STANDARD_IA: { minimumAgeDays: 30 },
    ONEZONE_IA: { minimumAgeDays: 30 },
    INTELLIGENT_TIERING: { minimumAgeDays: 0 },
    GLACIER_IR: { minimumAgeDays: 0 },
    GLACIER: { minimumAgeDays: 0 },
    DEEP_ARCHIVE: { minimumAgeDays: 0 },
};

/**
 * Checks a tier policy and returns it typed; throws one line naming the tier and the rule broken.
 * Rules: the three tiers are there once each; a tier's lock covers the span its keep count keeps
 * (so prune never has to delete a backup that Object Lock still holds, and retention never ends
 * before the plan stops needing the backup); a cold tier names a class S3 can transition to, no
 * earlier than S3 accepts for that class. (A backup pruned before its class's minimum billed
 * duration costs the rest of that duration: a price, not an error.)
 */
export function validateTiers(doc: { tagKey?: unknown; tiers?: unknown }): TierPolicy {
    const where = "policy/backup-tiers.json";
    if (typeof doc.tagKey !== "string" || !/^[A-Za-z0-9+\-=._:/@]{1,128}$/.test(doc.tagKey)) {
        throw new Error(`${where}: tagKey is ${JSON.stringify(doc.tagKey)}; accepted: an S3 object tag key (1-128 characters)`);
    }
    if (!Array.isArray(doc.tiers)) throw new Error(`${where}: tiers is not a list; accepted: the tiers ${tierNames.join(", ")}`);
    const listed = doc.tiers as { name?: unknown }[];
    const names = listed.map(t => t?.name);
    if (names.length !== tierNames.length || !tierNames.every(n => names.filter(x => x === n).length === 1)) {
        throw new Error(`${where}: tiers are ${JSON.stringify(names)}; accepted: exactly ${tierNames.join(", ")}, each once`);
    }
    const tiers = tierNames.map(n => listed.find(t => t.name === n) as BackupTier);
    for (const t of tiers) {
        const bad = (what: string) => new Error(`${where}: tier ${t.name} ${what}`);
        if (!Number.isInteger(t.keep) || t.keep < 1) throw bad(`keep is ${t.keep}; accepted: an integer of at least 1`);
        if (!Number.isInteger(t.lockDays) || t.lockDays < 1) throw bad(`lockDays is ${t.lockDays}; accepted: an integer of at least 1`);
        const keptDays = Math.ceil((t.keep * periodHours[t.name]) / 24);
        if (t.lockDays < keptDays) throw bad(`lockDays is ${t.lockDays}; accepted: at least ${keptDays} (keep ${t.keep} covers ${keptDays} days)`);
        if ((t.coldAfterDays === null) !== (t.storageClass === null)) {
            throw bad("sets only one of coldAfterDays and storageClass; accepted: both or neither");
        }
        if (t.storageClass !== null) {
            const cls = coldStorageClasses[t.storageClass];
            if (cls === undefined) throw bad(`storageClass is ${JSON.stringify(t.storageClass)}; accepted: ${Object.keys(coldStorageClasses).join(", ")}`);
            if (!Number.isInteger(t.coldAfterDays) || t.coldAfterDays! < Math.max(1, cls.minimumAgeDays)) {
                throw bad(`coldAfterDays is ${t.coldAfterDays}; accepted: an integer of at least ${Math.max(1, cls.minimumAgeDays)} for ${t.storageClass}`);
            }
        }
    }
    return { tagKey: doc.tagKey, tiers };
}

/** The checked policy the stacks deploy. */
export const tierPolicy: TierPolicy = validateTiers(policy);

export function tier(name: TierName, p: TierPolicy = tierPolicy): BackupTier {
    return p.tiers.find(t => t.name === name)!;
}

/**
 * The bucket's default Object Lock retention: the hourly tier's lock. A backup is written as hourly
 * and its own retention (set by the recovery side) is never shorter; a default longer than the
 * hourly lock would hold every pruned hourly backup past the point prune may delete it.
 */
export function defaultRetentionDays(p: TierPolicy = tierPolicy): number {
    return tier("hourly", p).lockDays;
}

/**
 * One lifecycle rule per tier, filtered by the tier's object tag (tiers are tags, not prefixes:
 * a backup's tier changes as it ages and S3 cannot rename a key). A cold tier moves to its class
 * after coldAfterDays; deletion is left to `autovideo-dr backups prune`, which applies the keep
 * counts (an age-based expiry here would drop a backup prune is about to promote to daily or
 * weekly). Objects under 128 KiB (manifests) stay in STANDARD: S3 does not transition them by
 * default, which keeps every manifest readable without a restore.
 */
export function tierLifecycleRules(p: TierPolicy = tierPolicy): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    return p.tiers.map(t => ({
        id: `tier-${t.name}`,
        status: "Enabled",
        filter: { tag: { key: p.tagKey, value: t.name } },
        ...(t.storageClass === null ? {} : { transitions: [{ days: t.coldAfterDays!, storageClass: t.storageClass }] }),
    }));
}

/** The keep counts as the prune command's options, so the stack and the catalog keep the same backups. */
export function pruneArguments(p: TierPolicy = tierPolicy): string[] {
    return p.tiers.flatMap(t => [`--keep-${t.name}`, String(t.keep)]);
}
