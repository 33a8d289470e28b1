// Runs the stack program under Pulumi's mocks and records every resource it declares: its inputs,
// and the options the engine would act on (dependencies, retainOnDelete, URN), read from the very
// RegisterResource request the SDK sends, so tests can check ordering, replacement and retention
// across runs, not only what a mock echoes back.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";

export const repoRoot = path.resolve(__dirname, "../..");
export const infraDir = path.join(repoRoot, "infra");
export const accountId = "123456789012";

/** One resource the program declared. */
export interface Declared {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, any>;
    /** Region of the aws provider it was declared with ("" for non-aws or default providers). */
    region: string;
    /** Name of the explicit provider ("" when the default provider would be used). */
    providerName: string;
    /** URNs the engine orders this resource after (explicit dependsOn and inputs from other resources). */
    dependencies: string[];
    retainOnDelete: boolean;
    protect: boolean;
    /** Earlier identities the engine should treat as this resource (alias specs as sent). */
    aliases: Record<string, any>[];
    /** Position among everything the program asked of the engine (resources and invokes), from 0. */
    order: number;
}

/** An invoke (data source look-up) the program made, in order with the resources. */
export interface Invoked {
    token: string;
    inputs: Record<string, any>;
    order: number;
}

/** The stack's config file as the flat string map Pulumi hands a program (objects as JSON). */
export function stackConfig(stack: string): Record<string, string> {
    const file = path.join(repoRoot, `Pulumi.${stack}.yaml`);
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        out[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
}

/** Secrets the stack files deliberately leave out (set with `pulumi config set --secret`). */
export const testSecrets: Record<string, string> = {
    "autovideo-dr:alertWebhookUrl": "https://hooks.example.com/services/T000/B000/test-webhook-token",
};

/** An environment stack's config with its secrets, as `pulumi up` would see it. */
export function environmentConfig(stack: "prod" | "dr", overrides: Record<string, string> = {}): { config: Record<string, string>; secretKeys: string[] } {
    return { config: { ...stackConfig(stack), ...testSecrets, ...overrides }, secretKeys: Object.keys(testSecrets) };
}

export const stackName = (stack: string) => `organization/autovideo-dr/${stack}`;

/** Outputs of prod as primary, as dr's StackReference reads them. */
export const prodOutputs = {
    role: "primary",
    region: "ap-northeast-1",
    databaseArn: `arn:aws:rds:ap-northeast-1:${accountId}:db:autovideo-dr-db-prod`,
    kmsKeyArn: `arn:aws:kms:ap-northeast-1:${accountId}:key/prod-key`,
    uploadsBucket: "autovideo-dr-uploads-prod",
    modelsBucket: "autovideo-dr-models-prod",
    generatedBucket: "autovideo-dr-generated-prod",
    backupsBucket: "autovideo-dr-backups-prod",
    cacheGlobalReplicationGroupId: "quwsw-autovideo-dr",
};
/** Kept under its old name: the primary a standby reads. */
export const peerOutputs = prodOutputs;

/** Outputs of dr after its promotion, as prod's StackReference reads them at failback. */
export const drPromotedOutputs = {
    role: "primary",
    region: "ap-southeast-1",
    databaseArn: `arn:aws:rds:ap-southeast-1:${accountId}:db:autovideo-dr-db-dr`,
    kmsKeyArn: `arn:aws:kms:ap-southeast-1:${accountId}:key/dr-key`,
    uploadsBucket: "autovideo-dr-uploads-dr",
    modelsBucket: "autovideo-dr-models-dr",
    generatedBucket: "autovideo-dr-generated-dr",
    backupsBucket: "autovideo-dr-backups-dr",
    cacheGlobalReplicationGroupId: "vlqxn-autovideo-dr",
};

/** Outputs of the global stack. */
export const globalOutputs = {
    scope: "global",
    primaryStack: "prod",
    fencedStacks: [],
    healthCheckIds: { prod: "hc-prod", dr: "hc-dr" },
    certificateArns: {
        prod: `arn:aws:acm:ap-northeast-1:${accountId}:certificate/prod`,
        dr: `arn:aws:acm:ap-southeast-1:${accountId}:certificate/dr`,
    },
    databaseSecretName: "autovideo-dr/database",
    databaseSecretArns: {
        "ap-northeast-1": `arn:aws:secretsmanager:ap-northeast-1:${accountId}:secret:autovideo-dr/database-AbCdEf`,
        "ap-southeast-1": `arn:aws:secretsmanager:ap-southeast-1:${accountId}:secret:autovideo-dr/database-AbCdEf`,
    },
    databasePassword: "test-database-password",
};

/** What each StackReference reads, by stack name; runs override entries (e.g. prod's peer after failback). */
export const defaultStacks: Record<string, Record<string, unknown>> = {
    [stackName("prod")]: prodOutputs,
    [stackName("dr")]: drPromotedOutputs,
    [stackName("global")]: globalOutputs,
};

class RecordingMocks implements pulumi.runtime.Mocks {
    public readonly resources: Declared[] = [];
    public readonly invokes: Invoked[] = [];
    /** Options of the request being registered, handed over synchronously to newResource. */
    public pending?: { urn: string; dependencies: string[]; retainOnDelete: boolean; protect: boolean; aliases: Record<string, any>[] };
    private readonly providerRegions = new Map<string, string>();
    private order = 0;

    constructor(private readonly stacks: Record<string, Record<string, unknown>>) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        const options = this.pending ?? { urn: "", dependencies: [], retainOnDelete: false, protect: false, aliases: [] };
        this.pending = undefined;
        const providerName = args.provider ? args.provider.split("::")[3] ?? "" : "";
        const region = args.inputs.region ?? this.providerRegions.get(providerName) ?? "";
        if (args.type === "pulumi:providers:aws") this.providerRegions.set(args.name, args.inputs.region);
        this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, region, providerName, ...options, order: this.order++ });
        const state = { ...args.inputs, ...computed(args, region, this.stacks) };
        return { id: state.__id ?? `${args.name}-id`, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        this.invokes.push({ token: args.token, inputs: args.inputs, order: this.order++ });
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId, arn: `arn:aws:iam::${accountId}:user/ci`, userId: "AIDATEST", id: accountId };
            case "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount":
                return { email: "project-1@storage-transfer-service.iam.gserviceaccount.com", id: "sa", subjectId: "109876543210987654321", member: "" };
            default:
                throw new Error(`unmocked call ${args.token}`);
        }
    }
}

/** Provider-computed attributes, shaped like the real ones, for the types the program reads back. */
function computed(args: pulumi.runtime.MockResourceArgs, region: string, stacks: Record<string, Record<string, unknown>>): Record<string, any> {
    const n = args.name;
    switch (args.type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = `${n}-0a1b2c3d`;
            return { __id: bucket, bucket, arn: `arn:aws:s3:::${bucket}` };
        }
        case "aws:rds/instance:Instance": {
            const identifier = `${n}-0a1b2c3d`;
            const address = `${identifier}.cabc123.${region}.rds.amazonaws.com`;
            return { identifier, address, port: 5432, endpoint: `${address}:5432`, arn: `arn:aws:rds:${region}:${accountId}:db:${identifier}` };
        }
        case "aws:elasticache/replicationGroup:ReplicationGroup":
            return { __id: n, primaryEndpointAddress: `master.${n}.abc123.${region.replace(/-/g, "")}.cache.amazonaws.com` };
        case "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup":
            // ElastiCache prefixes a global datastore's id by region.
            return { globalReplicationGroupId: `${region === "ap-southeast-1" ? "vlqxn" : "quwsw"}-${args.inputs.globalReplicationGroupIdSuffix}` };
        case "aws:eks/cluster:Cluster":
            return {
                __id: n, name: n, endpoint: `https://ABC.gr7.${region}.eks.amazonaws.com`, certificateAuthority: { data: "Y2E=" },
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/ABC` }] }],
                arn: `arn:aws:eks:${region}:${accountId}:cluster/${n}`,
            };
        case "aws:backup/vault:Vault":
            return { arn: `arn:aws:backup:${region}:${accountId}:backup-vault:${args.inputs.name}` };
        case "aws:secretsmanager/secret:Secret":
            return { arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${args.inputs.name}-AbCdEf` };
        case "aws:acm/certificate:Certificate":
            return {
                arn: `arn:aws:acm:${region}:${accountId}:certificate/${n}`,
                // ACM asks for the same record for a domain name in every region of an account.
                domainValidationOptions: [args.inputs.domainName, ...(args.inputs.subjectAlternativeNames ?? [])].map((d: string) => ({
                    domainName: d, resourceRecordName: `_x.${d}.`, resourceRecordType: "CNAME", resourceRecordValue: `_y.${d}.acm-validations.aws.`,
                })),
            };
        case "aws:acm/certificateValidation:CertificateValidation":
            return { certificateArn: args.inputs.certificateArn };
        case "aws:route53/record:Record":
            return { fqdn: args.inputs.name };
        case "aws:route53/healthCheck:HealthCheck":
            return { __id: `hc-${n}` };
        case "random:index/randomPassword:RandomPassword":
            return { result: "generated-password-for-tests" };
        case "command:local:Command":
            return { stdout: `job-${n}` };
        case "kubernetes:core/v1:Service":
            return args.inputs.spec?.type === "LoadBalancer"
                ? { status: { loadBalancer: { ingress: [{ hostname: `${n}-0123.elb.${region || "ap-northeast-1"}.amazonaws.com` }] } } }
                : {};
        case "gcp:storage/bucket:Bucket":
            return { name: args.inputs.name ?? `${n}-0a1b2c3d`, url: `gs://${n}-0a1b2c3d` };
        case "pulumi:pulumi:StackReference": {
            const outputs = stacks[args.inputs.name];
            if (outputs === undefined) throw new Error(`no outputs mocked for stack ${args.inputs.name}`);
            return { name: args.inputs.name, outputs, secretOutputNames: [] };
        }
        default: {
            const service = args.type.split(":")[1]?.split("/")[0] ?? "x";
            return { arn: `arn:aws:${service}:${region}:${accountId}:${n}`, name: args.inputs.name ?? n };
        }
    }
}

export interface Run {
    resources: Declared[];
    invokes: Invoked[];
    outputs: Record<string, any>;
    ofType(type: string): Declared[];
    one(type: string, name?: string): Declared;
    byUrn(urn: string): Declared | undefined;
    /** Whether `resource` is ordered after `other` (directly, or through a chain of dependencies). */
    after(resource: Declared, other: Declared): boolean;
}

/** Forgets the program's modules, so the next run evaluates it afresh under new config. */
export function forgetProgram(): void {
    for (const key of Object.keys(require.cache)) {
        if (key.startsWith(infraDir) && !key.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[key];
    }
}

/** What the latest run declared, kept even when the program threw. */
export let lastDeclared: Declared[] = [];

/** Declares the stack `stack` with `config` under mocks and returns what it declared and exported. */
export async function runProgram(stack: string, config: Record<string, string>, secretKeys: string[] = [],
    stacks: Record<string, Record<string, unknown>> = {}): Promise<Run> {
    const mocks = new RecordingMocks({ ...defaultStacks, ...stacks });
    lastDeclared = mocks.resources;
    await pulumi.runtime.setMocks(mocks, "autovideo-dr", stack, false, "organization");
    recordOptions(mocks);
    pulumi.runtime.setAllConfig(config, secretKeys);
    forgetProgram();
    const program = require(path.join(infraDir, "index.ts")) as Record<string, unknown>;
    const outputs: Record<string, any> = {};
    for (const [key, value] of Object.entries(program)) outputs[key] = await resolve(value);
    await settled(() => mocks.resources.length + mocks.invokes.length);
    const resources = mocks.resources;
    const byUrn = new Map(resources.map(r => [r.urn, r]));
    const after = (resource: Declared, other: Declared, seen = new Set<string>()): boolean =>
        resource.dependencies.some(d => d === other.urn || (!seen.has(d) && seen.add(d) && byUrn.has(d) && after(byUrn.get(d)!, other, seen)));
    return {
        resources,
        invokes: mocks.invokes,
        outputs,
        ofType: (type: string) => resources.filter(r => r.type === type),
        one: (type: string, name?: string) => {
            const found = resources.filter(r => r.type === type && (name === undefined || r.name === name));
            if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
            return found[0];
        },
        byUrn: (urn: string) => byUrn.get(urn),
        after: (resource, other) => after(resource, other),
    };
}

/**
 * Reads each RegisterResource request's options before the mock monitor handles it. The mock
 * monitor calls newResource synchronously at the start of its handler, so the options set here
 * are the ones of the resource newResource then records.
 */
function recordOptions(mocks: RecordingMocks): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        mocks.pending = {
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            dependencies: req.getDependenciesList(),
            retainOnDelete: req.getRetainondelete() ?? false,
            protect: req.getProtect() ?? false,
            aliases: req.getAliasesList().map((a: any) => a.toObject()),
        };
        return original(req, callback);
    };
    // Reads (StackReferences) are registered through readResource; they have a URN but no options.
    const originalRead = monitor.readResource.bind(monitor);
    monitor.readResource = (req: any, callback: any) => {
        mocks.pending = { urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()), dependencies: req.getDependenciesList?.() ?? [], retainOnDelete: false, protect: false, aliases: [] };
        return originalRead(req, callback);
    };
}

/** The value of an Output (or a plain value). */
export function resolve<T>(value: pulumi.Input<T> | T): Promise<T> {
    return new Promise(r => pulumi.output(value as pulumi.Input<T>).apply(v => { r(v as T); return v; }));
}

async function settled(count: () => number): Promise<void> {
    let last = -1;
    for (let stable = 0; stable < 5;) {
        await new Promise(r => setTimeout(r, 20));
        stable = count() === last ? stable + 1 : 0;
        last = count();
    }
}

/** The statements of a JSON policy document. */
export function statements(policy: string): { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Principal?: any; Condition?: any }[] {
    return JSON.parse(policy).Statement;
}

const secretSig = "4dabf18193072939515e22adb298388d";

/** A declared input that the engine receives as a secret (the mock sees its wire form). */
export function unsecret(value: any): { secret: boolean; value: any } {
    return value?.[secretSig] !== undefined ? { secret: true, value: value.value } : { secret: false, value };
}

/** Whether a declared input, or anything nested in it, is sent to the engine as a secret. */
export function containsSecret(value: any): boolean {
    if (value === null || typeof value !== "object") return false;
    if (value[secretSig] !== undefined) return true;
    return Object.values(value).some(containsSecret);
}

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
