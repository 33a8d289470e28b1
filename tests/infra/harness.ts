// Runs the stack program under Pulumi's mocks and records every resource it declares, with the
// inputs it declared them with, so tests can check DR properties rather than mere existence.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export const repoRoot = path.resolve(__dirname, "../..");
export const infraDir = path.join(repoRoot, "infra");
export const accountId = "123456789012";

/** One resource the program declared. */
export interface Declared {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** Region of the aws provider it was declared with ("" for non-aws or default providers). */
    region: string;
    /** Name of the explicit provider ("" when the default provider would be used). */
    providerName: string;
}

/** The stack's config file as the flat string map Pulumi hands a program (objects as JSON). */
export function stackConfig(stack: string): Record<string, string> {
    const file = path.join(repoRoot, `Pulumi.${stack}.yaml`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        out[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
}

/** Secrets the stack files deliberately leave out (set with `pulumi config set --secret`). */
export const testSecrets: Record<string, string> = {
    "autovideo-dr:offsiteAwsAccessKeyId": "AKIATESTTESTTESTTEST",
    "autovideo-dr:offsiteAwsSecretAccessKey": "test-secret-access-key",
};

/** Outputs of a primary stack as a standby's StackReference would read them. */
export const peerOutputs = {
    role: "primary",
    region: "ap-northeast-1",
    databaseArn: `arn:aws:rds:ap-northeast-1:${accountId}:db:autovideo-dr-db-prod`,
    kmsKeyArn: `arn:aws:kms:ap-northeast-1:${accountId}:key/prod-key`,
    uploadsBucket: "autovideo-dr-uploads-prod",
    modelsBucket: "autovideo-dr-models-prod",
    generatedBucket: "autovideo-dr-generated-prod",
    backupsBucket: "autovideo-dr-backups-prod",
    cacheGlobalReplicationGroupId: "ldgnf-autovideo-dr",
};

class RecordingMocks implements pulumi.runtime.Mocks {
    public readonly resources: Declared[] = [];
    private readonly providerRegions = new Map<string, string>();

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        const providerName = args.provider ? args.provider.split("::")[3] ?? "" : "";
        const region = args.inputs.region ?? this.providerRegions.get(providerName) ?? "";
        if (args.type === "pulumi:providers:aws") this.providerRegions.set(args.name, args.inputs.region);
        this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, region, providerName });
        const state = { ...args.inputs, ...computed(args, region) };
        return { id: state.__id ?? `${args.name}-id`, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId, arn: `arn:aws:iam::${accountId}:user/ci`, userId: "AIDATEST", id: accountId };
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                return { names: ["a", "b", "c"].map(z => `${args.inputs.region ?? "ap-northeast-1"}${z}`), zoneIds: [] };
            case "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount":
                return { email: "project-1@storage-transfer-service.iam.gserviceaccount.com", id: "sa", subjectId: "1", member: "" };
            default:
                throw new Error(`unmocked call ${args.token}`);
        }
    }
}

/** Provider-computed attributes, shaped like the real ones, for the types the program reads back. */
function computed(args: pulumi.runtime.MockResourceArgs, region: string): Record<string, any> {
    const n = args.name;
    switch (args.type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = `${n}-0a1b2c3d`;
            return { __id: bucket, bucket, arn: `arn:aws:s3:::${bucket}` };
        }
        case "aws:rds/instance:Instance": {
            const identifier = `${n}-0a1b2c3d`;
            const address = `${identifier}.cabc123.${region}.rds.amazonaws.com`;
            return {
                identifier, address, port: 5432, endpoint: `${address}:5432`,
                arn: `arn:aws:rds:${region}:${accountId}:db:${identifier}`,
                masterUserSecrets: args.inputs.manageMasterUserPassword ? [{ secretArn: `arn:aws:secretsmanager:${region}:${accountId}:secret:rds!db-1`, kmsKeyId: "", secretStatus: "active" }] : [],
            };
        }
        case "aws:elasticache/replicationGroup:ReplicationGroup":
            return { __id: n, primaryEndpointAddress: `master.${n}.abc123.${region.replace(/-/g, "")}.cache.amazonaws.com` };
        case "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup":
            return { globalReplicationGroupId: `ldgnf-${args.inputs.globalReplicationGroupIdSuffix}` };
        case "aws:eks/cluster:Cluster":
            return {
                __id: n, name: n, endpoint: `https://ABC.gr7.${region}.eks.amazonaws.com`, certificateAuthority: { data: "Y2E=" },
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/ABC` }] }],
                arn: `arn:aws:eks:${region}:${accountId}:cluster/${n}`,
            };
        case "aws:backup/vault:Vault":
            return { arn: `arn:aws:backup:${region}:${accountId}:backup-vault:${args.inputs.name}` };
        case "aws:acm/certificate:Certificate":
            return {
                arn: `arn:aws:acm:${region}:${accountId}:certificate/${n}`,
                domainValidationOptions: [args.inputs.domainName, ...(args.inputs.subjectAlternativeNames ?? [])].map((d: string) => ({
                    domainName: d, resourceRecordName: `_x.${d}.`, resourceRecordType: "CNAME", resourceRecordValue: `_y.acm-validations.aws.`,
                })),
            };
        case "aws:acm/certificateValidation:CertificateValidation":
            return { certificateArn: args.inputs.certificateArn };
        case "aws:route53/record:Record":
            return { fqdn: args.inputs.name };
        case "kubernetes:core/v1:Service":
            return args.inputs.spec?.type === "LoadBalancer"
                ? { status: { loadBalancer: { ingress: [{ hostname: `${n}-0123.elb.${region || "ap-northeast-1"}.amazonaws.com` }] } } }
                : {};
        case "gcp:storage/bucket:Bucket":
            return { name: args.inputs.name ?? `${n}-0a1b2c3d`, url: `gs://${n}-0a1b2c3d` };
        case "pulumi:pulumi:StackReference":
            return { name: args.inputs.name, outputs: peerOutputs, secretOutputNames: [] };
        default: {
            const service = args.type.split(":")[1]?.split("/")[0] ?? "x";
            return { arn: `arn:aws:${service}:${region}:${accountId}:${n}`, name: args.inputs.name ?? n };
        }
    }
}

export interface Run {
    resources: Declared[];
    outputs: Record<string, any>;
    ofType(type: string): Declared[];
    one(type: string, name?: string): Declared;
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
export async function runProgram(stack: string, config: Record<string, string>, secretKeys: string[] = []): Promise<Run> {
    const mocks = new RecordingMocks();
    lastDeclared = mocks.resources;
    await pulumi.runtime.setMocks(mocks, "autovideo-dr", stack, false, "organization");
    pulumi.runtime.setAllConfig(config, secretKeys);
    forgetProgram();
    const program = require(path.join(infraDir, "index.ts")) as Record<string, unknown>;
    const outputs: Record<string, any> = {};
    for (const [key, value] of Object.entries(program)) outputs[key] = await resolve(value);
    await settled(() => mocks.resources.length);
    const resources = mocks.resources;
    return {
        resources,
        outputs,
        ofType: (type: string) => resources.filter(r => r.type === type),
        one: (type: string, name?: string) => {
            const found = resources.filter(r => r.type === type && (name === undefined || r.name === name));
            if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
            return found[0];
        },
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
export function statements(policy: string): { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: any }[] {
    return JSON.parse(policy).Statement;
}

const secretSig = "4dabf18193072939515e22adb298388d";

/** A declared input that the engine receives as a secret (the mock sees its wire form). */
export function unsecret(value: any): { secret: boolean; value: any } {
    return value?.[secretSig] !== undefined ? { secret: true, value: value.value } : { secret: false, value };
}

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
