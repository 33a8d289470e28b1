import * as pulumi from "@pulumi/pulumi";
import { defaultRetentionDays } from "./backupTiers";

/**
 * Every `autovideo-dr:*` config key, read once and validated before any resource is declared.
 * What differs between the prod and dr stacks is only this object, never code paths of their own.
 * A third stack, `global` (scope global), owns what both environments share: the failover DNS
 * records and health checks, the public certificates and the database credentials.
 */
export const configNamespace = "autovideo-dr";

export type Role = "primary" | "standby";

/** Which half of the program a stack runs: an environment (prod, dr) or the global stack. */
export type Scope = "environment" | "global";

export interface OffsiteSettings {
    gcpProject: string;
    gcpRegion: string;
    retentionDays: number;
    /**
     * Lock the off-site bucket's retention policy (irreversible: GCS then refuses to shorten or
     * remove it, and the bucket cannot be deleted while it holds objects under retention).
     */
    retentionLocked: boolean;
}

export interface RestoreSettings {
    /** Create the primary database from this snapshot (identifier or ARN). */
    snapshotIdentifier?: string;
    /**
     * Or restore to a point in time ("latest" or RFC 3339) of this source: a DB instance identifier,
     * or the ARN of automated backups replicated into this stack's region (arn:…:auto-backup:ab-…),
     * which is how the dr stack restores when the primary's region is gone.
     */
    pointInTime?: { source: string; time: string };
}

export interface Settings {
    stack: string;
    /** `org/project/stack` of the global stack, whose outputs name this environment's certificate and health check. */
    globalStack: string;
    /** The plan's critical RPO (嚴重災難 RPO: 15 分鐘): the bound for replication lag, replication time and backup age. */
    rpoSeconds: number;
    role: Role;
    region: string;
    peerRegion: string;
    zones: string[];
    /** `org/project/stack` of the other environment; required for a standby. */
    peerStack?: string;
    vpcCidr: string;
    database: {
        instanceClass: string;
        allocatedStorageGb: number;
        backupRetentionDays: number;
        /**
         * Which instance of this stack's database is current. Promotion keeps it; demotion (a primary
         * becoming a standby again at failback) needs the next one, because RDS refuses to make a
         * promoted instance a replica again: the demoted side is a new replica resource.
         */
        generation: number;
        restore?: RestoreSettings;
    };
    cache: { nodeType: string };
    cluster: { kubernetesVersion: string; nodeInstanceType: string; nodesPerZone: number };
    workloads: { imageRegistry: string; imageTag: string; pilotLightReplicas: number; backupSchedule: string; restoreTestSchedule: string; pruneSchedule: string };
    backups: { lockDays: number; lockMode: "COMPLIANCE" | "GOVERNANCE" };
    dns: { zoneId: string; name: string };
    oncallEmail?: string;
    /** The team channel's incoming webhook (secret), where warnings go; critical alerts page on-call through SNS. */
    alertWebhookUrl: pulumi.Output<string>;
    offsite?: OffsiteSettings;
    tags: Record<string, string>;
}

export interface EnvironmentEntry {
    /** The stack's short name, e.g. prod. */
    stack: string;
    region: string;
}

export interface GlobalSettings {
    stack: string;
    /**
     * Region of the control provider: Route 53's control plane is in us-east-1, so the failover
     * records and health checks are managed through it, apart from either environment's region.
     */
    controlRegion: string;
    dns: { zoneId: string; name: string };
    /** The two environments, in order; the database credentials' home is the first one's region. */
    environments: EnvironmentEntry[];
    /** The environment the PRIMARY failover record sends clients to. */
    primaryStack: string;
    /** Environments forced out of DNS: their health check reads unhealthy whatever the endpoint says. */
    fencedStacks: string[];
    tags: Record<string, string>;
}

/** A config error: names the key, the bad value and what is accepted, on one line. */
export class SettingsError extends Error {
    constructor(key: string, value: unknown, accepted: string, shown = value === undefined ? "missing" : JSON.stringify(value)) {
        super(`${configNamespace}:${key} is ${shown}; accepted: ${accepted}`);
        this.name = "SettingsError";
    }
}

const awsRegion = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const gcpRegion = /^[a-z]+-[a-z]+\d{1,2}$/;
const stackRef = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const hostname = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const cron = /^(\S+\s+){4}\S+$/;

const environmentKeys = [
    "scope", "role", "region", "peerRegion", "zones", "peerStack", "globalStack", "vpcCidr",
    "dbInstanceClass", "dbAllocatedStorageGb", "dbBackupRetentionDays", "dbGeneration", "dbRestoreSnapshot", "dbRestoreSource", "dbRestoreTime",
    "cacheNodeType", "kubernetesVersion", "nodeInstanceType", "nodesPerZone",
    "imageRegistry", "imageTag", "pilotLightReplicas", "backupSchedule", "restoreTestSchedule", "pruneSchedule",
    "backupLockDays", "backupLockMode", "dnsZoneId", "dnsName", "oncallEmail", "alertWebhookUrl",
    "gcpProject", "gcpRegion", "offsiteRetentionDays", "offsiteRetentionLocked",
] as const;

const globalKeys = ["scope", "controlRegion", "dnsZoneId", "dnsName", "environments", "primaryStack", "fencedStacks"] as const;

/** Keys an earlier version read, with what replaced them: a stale stack file gets told, not just refused. */
const retiredKeys: Record<string, string> = {
    offsiteAwsAccessKeyId: "the off-site transfer now assumes an AWS role by federation, with no access key; remove it with `pulumi config rm`",
    offsiteAwsSecretAccessKey: "the off-site transfer now assumes an AWS role by federation, with no access key; remove it with `pulumi config rm`",
};

/** Refuses any `autovideo-dr:` key the scope does not read: a misspelling would otherwise fall back to a default. */
function refuseUnknownKeys(known: readonly string[], scope: Scope): void {
    for (const full of Object.keys(pulumi.runtime.allConfig())) {
        if (!full.startsWith(`${configNamespace}:`)) continue;
        const key = full.slice(configNamespace.length + 1);
        if (retiredKeys[key] !== undefined) throw new SettingsError(key, undefined, retiredKeys[key], "a retired key");
        if (!known.includes(key)) {
            // The value is not shown: it may be a secret set under a misspelt name.
            throw new SettingsError(key, undefined, `one of the keys of a${scope === "global" ? " global" : "n environment"} stack: ${known.join(", ")}`, "an unknown key");
        }
    }
}

/** `autovideo-dr:scope`: environment (prod, dr; the default) or global. */
export function loadScope(): Scope {
    const scope = new pulumi.Config(configNamespace).get("scope") ?? "environment";
    if (scope !== "environment" && scope !== "global") throw new SettingsError("scope", scope, "environment | global");
    return scope;
}

/**
 * EKS versions and the day each leaves standard support (Amazon EKS user guide, "Kubernetes
 * version lifecycle": standard support lasts 14 months from release, then paid extended support).
 * Add a version here when EKS releases it. EKS upgrades one minor version at a time, so a
 * running cluster moves through each version in turn (one `pulumi up` per step).
 */
export const eksStandardSupportEnds: Record<string, string> = {
    "1.32": "2026-03-23",
    "1.33": "2026-07-29",
    "1.34": "2026-12-02",
    "1.35": "2027-03-27",
};
export const defaultKubernetesVersion = "1.35";

/** Why `version` may not be deployed on `today`, or undefined when it may. */
export function kubernetesVersionProblem(version: string, today: Date): string | undefined {
    const ends = eksStandardSupportEnds[version];
    const supported = Object.entries(eksStandardSupportEnds).filter(([, end]) => new Date(`${end}T00:00:00Z`) > today).map(([v]) => v);
    const accepted = supported.length > 0
        ? `a version in EKS standard support on ${today.toISOString().slice(0, 10)}: ${supported.join(", ")}`
        : `a version released after ${Object.keys(eksStandardSupportEnds).pop()}, added to eksStandardSupportEnds in infra/settings.ts`;
    if (ends === undefined) return accepted;
    if (new Date(`${ends}T00:00:00Z`) <= today) return `${accepted} (${version}'s standard support ended ${ends})`;
    return undefined;
}

/** Reads and validates the whole `autovideo-dr` namespace of an environment stack; throws SettingsError on the first bad key. */
export function loadSettings(today: Date = new Date()): Settings {
    const config = new pulumi.Config(configNamespace);
    if (loadScope() !== "environment") throw new SettingsError("scope", config.get("scope"), "environment (this stack's settings are an environment's)");
    refuseUnknownKeys(environmentKeys, "environment");

    const str = (key: string, accepted: string, pattern: RegExp, fallback?: string): string => {
        const value = config.get(key) ?? fallback;
        if (value === undefined || !pattern.test(value)) throw new SettingsError(key, value, accepted);
        return value;
    };
    const optional = (key: string, accepted: string, pattern: RegExp): string | undefined =>
        config.get(key) === undefined ? undefined : str(key, accepted, pattern);
    const int = (key: string, min: number, max: number, fallback: number): number => {
        const raw = config.get(key);
        if (raw === undefined) return fallback;
        const value = Number(raw);
        if (!Number.isInteger(value) || value < min || value > max) {
            throw new SettingsError(key, raw, `an integer from ${min} to ${max}`);
        }
        return value;
    };

    const role = config.get("role");
    if (role !== "primary" && role !== "standby") throw new SettingsError("role", role, "primary | standby");

    const region = str("region", "an AWS region such as ap-northeast-1", awsRegion);
    const peerRegion = str("peerRegion", "an AWS region such as ap-southeast-1, other than the stack's region", awsRegion);
    if (peerRegion === region) {
        throw new SettingsError("peerRegion", peerRegion, `an AWS region other than ${region} (the stack's own)`);
    }

    const zonesAccepted = `a list of at least 2 distinct availability zones of ${region}, e.g. ["${region}a","${region}c","${region}d"]`;
    let zones: unknown;
    try {
        zones = config.getObject<unknown>("zones");
    } catch {
        throw new SettingsError("zones", config.get("zones"), zonesAccepted);
    }
    const zoneNames = Array.isArray(zones) ? zones : [];
    const zonePattern = new RegExp(`^${region}[a-z]$`);
    if (!Array.isArray(zones) || zones.length < 2 || new Set(zones).size !== zones.length ||
        !zoneNames.every(z => typeof z === "string" && zonePattern.test(z))) {
        throw new SettingsError("zones", zones, zonesAccepted);
    }

    const peerStack = optional("peerStack", "organization/project/stack, e.g. organization/autovideo-dr/prod", stackRef);
    if (role === "standby" && peerStack === undefined) {
        throw new SettingsError("peerStack", undefined, "organization/project/stack of the primary (required when role is standby)");
    }

    const globalStack = str("globalStack", "organization/project/stack of the global stack, e.g. organization/autovideo-dr/global", stackRef);

    const vpcCidr = str("vpcCidr", "an IPv4 CIDR from /16 to /20, e.g. 10.0.0.0/16", /^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|20)$/, "10.0.0.0/16");

    const restoreSnapshot = optional("dbRestoreSnapshot", "an RDS snapshot identifier or ARN", /^(arn:aws[a-z-]*:rds:.+|[a-zA-Z][a-zA-Z0-9-]{0,254})$/);
    const restoreTime = optional("dbRestoreTime", "latest or an RFC 3339 time such as 2026-01-31T23:45:00Z", /^(latest|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))$/);
    const restoreSource = optional("dbRestoreSource", `the source DB instance identifier, or the ARN of automated backups replicated into ${region} (arn:aws:rds:${region}:<account>:auto-backup:ab-…)`,
        /^([a-zA-Z][a-zA-Z0-9-]{0,62}|arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:auto-backup:ab-[A-Za-z0-9]+)$/);
    // Replicated automated backups are restored in the region that holds them: this stack's.
    if (restoreSource?.startsWith("arn:") && restoreSource.split(":")[3] !== region) {
        throw new SettingsError("dbRestoreSource", restoreSource, `automated backups replicated into ${region}, this stack's region (a restore reads them where they are)`);
    }
    let restore: RestoreSettings | undefined;
    if (restoreSnapshot !== undefined || restoreTime !== undefined) {
        if (role === "standby") {
            throw new SettingsError(restoreSnapshot !== undefined ? "dbRestoreSnapshot" : "dbRestoreTime", restoreSnapshot ?? restoreTime,
                "unset while role is standby (a replica follows its source and cannot be restored)");
        }
        if (restoreSnapshot !== undefined && restoreTime !== undefined) {
            throw new SettingsError("dbRestoreTime", restoreTime, "unset when dbRestoreSnapshot is set (restore from one or the other)");
        }
        if (restoreTime !== undefined && restoreSource === undefined) {
            throw new SettingsError("dbRestoreSource", undefined, "the source DB instance identifier (required with dbRestoreTime)");
        }
        restore = restoreSnapshot !== undefined
            ? { snapshotIdentifier: restoreSnapshot }
            : { pointInTime: { source: restoreSource!, time: restoreTime! } };
    }

    const database = {
        instanceClass: str("dbInstanceClass", "an RDS instance class such as db.r6g.large", /^db\.[a-z0-9-]+\.[a-z0-9]+$/, "db.r6g.large"),
        allocatedStorageGb: int("dbAllocatedStorageGb", 20, 65536, 100),
        // RDS point-in-time recovery keeps at most 35 days of logs.
        backupRetentionDays: int("dbBackupRetentionDays", 1, 35, 14),
        generation: int("dbGeneration", 1, 999, 1),
        restore,
    };
    const cache = { nodeType: str("cacheNodeType", "an ElastiCache node type such as cache.r7g.large", /^cache\.[a-z0-9-]+\.[a-z0-9]+$/, "cache.r7g.large") };
    const cluster = {
        kubernetesVersion: kubernetesVersion(config, today),
        nodeInstanceType: str("nodeInstanceType", "an EC2 instance type such as m6i.xlarge", /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "m6i.xlarge"),
        nodesPerZone: int("nodesPerZone", 1, 100, 2),
    };
    const workloads = {
        imageRegistry: str("imageRegistry", "an image registry path such as ghcr.io/autovideo", /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, "ghcr.io/autovideo"),
        imageTag: str("imageTag", "an image tag such as 1.4.2", /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "stable"),
        pilotLightReplicas: int("pilotLightReplicas", 1, 10, 1),
        // The RPO of a critical disaster is 15 minutes: backups run at that cadence so the
        // "newest backup older than the RPO" alert means something; hourly/daily/weekly are retention tiers.
        backupSchedule: str("backupSchedule", "a five-field cron expression such as */15 * * * *", cron, "*/15 * * * *"),
        // The plan's monthly backup-restore test (每月: 備份恢復測試).
        restoreTestSchedule: str("restoreTestSchedule", "a five-field cron expression such as 0 3 1 * *", cron, "0 3 1 * *"),
        // Prune applies the tiers' keep counts; hourly, so an hourly backup is promoted to daily or
        // weekly long before the hourly tier's lock (and its keep window) runs out.
        pruneSchedule: str("pruneSchedule", "a five-field cron expression such as 17 * * * *", cron, "17 * * * *"),
    };
    const lockMode = config.get("backupLockMode") ?? "COMPLIANCE";
    if (lockMode !== "COMPLIANCE" && lockMode !== "GOVERNANCE") {
        throw new SettingsError("backupLockMode", lockMode, "COMPLIANCE | GOVERNANCE");
    }
    // The bucket's default retention must not outlast the hourly tier's own lock (policy/backup-tiers.json):
    // every backup is written as hourly, and prune must be able to delete an hourly backup it does not keep.
    const hourlyLock = defaultRetentionDays();
    const backups = { lockDays: int("backupLockDays", 1, hourlyLock, hourlyLock), lockMode: lockMode as "COMPLIANCE" | "GOVERNANCE" };
    const dns = {
        zoneId: str("dnsZoneId", "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ", /^Z[A-Z0-9]{1,32}$/),
        name: str("dnsName", "a lower-case DNS name such as api.autovideo.example.com", hostname),
    };
    const oncallEmail = optional("oncallEmail", "an e-mail address", /^[^@\s]+@[^@\s]+\.[^@\s]+$/);
    const alertWebhookUrl = secret(config, "alertWebhookUrl", "the team channel's https webhook URL, set with `pulumi config set --secret autovideo-dr:alertWebhookUrl <url>`");

    const offsite = loadOffsite(config, str, int);

    return {
        stack: pulumi.getStack(),
        globalStack,
        rpoSeconds: 15 * 60,
        role, region, peerRegion, zones: zoneNames as string[], peerStack, vpcCidr,
        database, cache, cluster, workloads, backups, dns, oncallEmail, alertWebhookUrl, offsite,
        // No role tag: the role flips at a failover, and every resource of the stack (some in the lost
        // region) would then need an update that has nothing to do with the failover.
        tags: { "autovideo-dr:stack": pulumi.getStack(), "managed-by": "pulumi" },
    };
}

function loadOffsite(
    config: pulumi.Config,
    str: (key: string, accepted: string, pattern: RegExp, fallback?: string) => string,
    int: (key: string, min: number, max: number, fallback: number) => number,
): OffsiteSettings | undefined {
    if (config.get("gcpProject") === undefined) return undefined;
    const locked = config.get("offsiteRetentionLocked") ?? "false";
    if (locked !== "true" && locked !== "false") throw new SettingsError("offsiteRetentionLocked", locked, "true | false (true locks the GCS retention policy for good)");
    return {
        gcpProject: str("gcpProject", "a Google Cloud project id such as autovideo-dr-offsite", /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/),
        gcpRegion: str("gcpRegion", "a Google Cloud region such as asia-east1 (required with gcpProject)", gcpRegion),
        retentionDays: int("offsiteRetentionDays", 1, 3650, 30),
        retentionLocked: locked === "true",
    };
}

/** A secret key's value; presence is checked here, that it is stored encrypted is what getSecret/--secret guarantee. */
function secret(config: pulumi.Config, key: string, accepted: string): pulumi.Output<string> {
    const value = config.getSecret(key);
    if (value === undefined) throw new SettingsError(key, undefined, accepted);
    return value;
}

function kubernetesVersion(config: pulumi.Config, today: Date): string {
    const version = config.get("kubernetesVersion") ?? defaultKubernetesVersion;
    const problem = kubernetesVersionProblem(version, today);
    if (problem !== undefined) {
        throw new SettingsError("kubernetesVersion", version, problem, config.get("kubernetesVersion") === undefined ? `${JSON.stringify(version)} (the default)` : undefined);
    }
    return version;
}

/** Reads and validates the global stack's keys; throws SettingsError on the first bad key. */
export function loadGlobalSettings(): GlobalSettings {
    const config = new pulumi.Config(configNamespace);
    if (loadScope() !== "global") throw new SettingsError("scope", config.get("scope"), "global (this stack's settings are the global stack's)");
    refuseUnknownKeys(globalKeys, "global");

    const controlRegion = config.get("controlRegion") ?? "us-east-1";
    if (!awsRegion.test(controlRegion)) throw new SettingsError("controlRegion", controlRegion, "an AWS region, us-east-1 (Route 53's control plane) unless there is a reason");
    const zoneId = config.get("dnsZoneId");
    if (zoneId === undefined || !/^Z[A-Z0-9]{1,32}$/.test(zoneId)) throw new SettingsError("dnsZoneId", zoneId, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ");
    const name = config.get("dnsName");
    if (name === undefined || !hostname.test(name)) throw new SettingsError("dnsName", name, "a lower-case DNS name such as api.autovideo.example.com");

    const envAccepted = 'a list of the two environments, e.g. [{"stack":"prod","region":"ap-northeast-1"},{"stack":"dr","region":"ap-southeast-1"}]';
    let environments: unknown;
    try {
        environments = config.getObject<unknown>("environments");
    } catch {
        throw new SettingsError("environments", config.get("environments"), envAccepted);
    }
    const list = Array.isArray(environments) ? environments as EnvironmentEntry[] : [];
    // Failover routing has exactly one PRIMARY and one SECONDARY record.
    if (list.length !== 2 || !list.every(e => typeof e?.stack === "string" && /^[A-Za-z0-9_.-]+$/.test(e.stack) && typeof e.region === "string" && awsRegion.test(e.region))
        || new Set(list.map(e => e.stack)).size !== 2 || new Set(list.map(e => e.region)).size !== 2) {
        throw new SettingsError("environments", environments, envAccepted);
    }
    const stacks = list.map(e => e.stack);
    const primaryStack = config.get("primaryStack");
    if (primaryStack === undefined || !stacks.includes(primaryStack)) throw new SettingsError("primaryStack", primaryStack, `one of the environments: ${stacks.join(", ")}`);
    let fenced: unknown;
    try {
        fenced = config.getObject<unknown>("fencedStacks") ?? [];
    } catch {
        throw new SettingsError("fencedStacks", config.get("fencedStacks"), `a list of environments to force out of DNS, e.g. ["${stacks[0]}"]`);
    }
    if (!Array.isArray(fenced) || !fenced.every(f => stacks.includes(f)) || new Set(fenced).size !== fenced.length) {
        throw new SettingsError("fencedStacks", fenced, `a list of distinct environments among ${stacks.join(", ")}`);
    }
    if (fenced.includes(primaryStack)) {
        throw new SettingsError("primaryStack", primaryStack, `an environment that is not fenced (fencedStacks is ${JSON.stringify(fenced)}): fencing the primary would send clients nowhere`);
    }
    return {
        stack: pulumi.getStack(),
        controlRegion,
        dns: { zoneId, name },
        environments: list.map(e => ({ stack: e.stack, region: e.region })),
        primaryStack,
        fencedStacks: fenced as string[],
        tags: { "autovideo-dr:stack": pulumi.getStack(), "managed-by": "pulumi" },
    };
}
