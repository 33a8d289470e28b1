import * as pulumi from "@pulumi/pulumi";

/**
 * Every `autovideo-dr:*` config key, read once and validated before any resource is declared.
 * What differs between the prod and dr stacks is only this object, never code paths of their own.
 */
export const configNamespace = "autovideo-dr";

export type Role = "primary" | "standby";

export interface OffsiteSettings {
    gcpProject: string;
    gcpRegion: string;
    retentionDays: number;
    /** Key of an IAM user that can only read the backup bucket; set with `pulumi config set --secret`. */
    awsAccessKeyId: pulumi.Output<string>;
    awsSecretAccessKey: pulumi.Output<string>;
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
        restore?: RestoreSettings;
    };
    cache: { nodeType: string };
    cluster: { kubernetesVersion: string; nodeInstanceType: string; nodesPerZone: number };
    workloads: { imageRegistry: string; imageTag: string; pilotLightReplicas: number; backupSchedule: string; restoreTestSchedule: string };
    backups: { lockDays: number; lockMode: "COMPLIANCE" | "GOVERNANCE" };
    dns: { zoneId: string; name: string };
    oncallEmail?: string;
    offsite?: OffsiteSettings;
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

const knownKeys = [
    "role", "region", "peerRegion", "zones", "peerStack", "vpcCidr",
    "dbInstanceClass", "dbAllocatedStorageGb", "dbBackupRetentionDays", "dbRestoreSnapshot", "dbRestoreSource", "dbRestoreTime",
    "cacheNodeType", "kubernetesVersion", "nodeInstanceType", "nodesPerZone",
    "imageRegistry", "imageTag", "pilotLightReplicas", "backupSchedule", "restoreTestSchedule",
    "backupLockDays", "backupLockMode", "dnsZoneId", "dnsName", "oncallEmail",
    "gcpProject", "gcpRegion", "offsiteRetentionDays", "offsiteAwsAccessKeyId", "offsiteAwsSecretAccessKey",
] as const;

/** Reads and validates the whole `autovideo-dr` namespace; throws SettingsError on the first bad key. */
export function loadSettings(): Settings {
    const config = new pulumi.Config(configNamespace);

    // A misspelt key would otherwise be ignored silently and a default used in its place.
    for (const full of Object.keys(pulumi.runtime.allConfig())) {
        if (!full.startsWith(`${configNamespace}:`)) continue;
        const key = full.slice(configNamespace.length + 1);
        if (!(knownKeys as readonly string[]).includes(key)) {
            // The value is not shown: it may be a secret set under a misspelt name.
            throw new SettingsError(key, undefined, `one of the keys ${knownKeys.join(", ")}`, "an unknown key");
        }
    }

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
        restore,
    };
    const cache = { nodeType: str("cacheNodeType", "an ElastiCache node type such as cache.r7g.large", /^cache\.[a-z0-9-]+\.[a-z0-9]+$/, "cache.r7g.large") };
    const cluster = {
        kubernetesVersion: str("kubernetesVersion", "an EKS version such as 1.31", /^1\.\d{2}$/, "1.31"),
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
    };
    const lockMode = config.get("backupLockMode") ?? "COMPLIANCE";
    if (lockMode !== "COMPLIANCE" && lockMode !== "GOVERNANCE") {
        throw new SettingsError("backupLockMode", lockMode, "COMPLIANCE | GOVERNANCE");
    }
    const backups = { lockDays: int("backupLockDays", 1, 3650, 7), lockMode: lockMode as "COMPLIANCE" | "GOVERNANCE" };
    const dns = {
        zoneId: str("dnsZoneId", "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ", /^Z[A-Z0-9]{1,32}$/),
        name: str("dnsName", "a lower-case DNS name such as api.autovideo.example.com", hostname),
    };
    const oncallEmail = optional("oncallEmail", "an e-mail address", /^[^@\s]+@[^@\s]+\.[^@\s]+$/);

    const offsite = loadOffsite(config, str, int);

    return {
        stack: pulumi.getStack(),
        rpoSeconds: 15 * 60,
        role, region, peerRegion, zones: zoneNames as string[], peerStack, vpcCidr,
        database, cache, cluster, workloads, backups, dns, oncallEmail, offsite,
        tags: { "autovideo-dr:stack": pulumi.getStack(), "autovideo-dr:role": role, "managed-by": "pulumi" },
    };
}

function loadOffsite(
    config: pulumi.Config,
    str: (key: string, accepted: string, pattern: RegExp, fallback?: string) => string,
    int: (key: string, min: number, max: number, fallback: number) => number,
): OffsiteSettings | undefined {
    if (config.get("gcpProject") === undefined) return undefined;
    const secret = (key: string): pulumi.Output<string> => {
        const value = config.getSecret(key);
        // Presence is checked here; that the value is stored encrypted is what getSecret/--secret guarantee.
        if (value === undefined) throw new SettingsError(key, undefined, `a value set with \`pulumi config set --secret ${configNamespace}:${key}\` (required with gcpProject)`);
        return value;
    };
    return {
        gcpProject: str("gcpProject", "a Google Cloud project id such as autovideo-dr-offsite", /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/),
        gcpRegion: str("gcpRegion", "a Google Cloud region such as asia-east1 (required with gcpProject)", gcpRegion),
        retentionDays: int("offsiteRetentionDays", 1, 3650, 30),
        awsAccessKeyId: secret("offsiteAwsAccessKeyId"),
        awsSecretAccessKey: secret("offsiteAwsSecretAccessKey"),
    };
}
