// The secrets the dr side needs, checked where they live before any disaster: in dr's own region, or
// as dr's own Pulumi secrets; and nothing dr runs on is a static key or a secret of prod's region.
// dr here reads the global stack's outputs as the global program really exports them.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { containsSecret, environmentConfig, globalOutputs, runProgram, Run, stackConfig, stackName, statements, testSecrets, unsecret } from "./harness";

const drRegion = "ap-southeast-1";
const prodRegion = "ap-northeast-1";

describe("secrets the dr side needs exist in dr's region before the disaster", () => {
    let global: Run;
    const dr: Record<string, Run> = {};
    before(async () => {
        global = await runProgram("global", stackConfig("global"));
        const exported = { ...globalOutputs, databaseSecretName: global.outputs.databaseSecretName, databaseSecretArns: global.outputs.databaseSecretArns };
        for (const role of ["standby", "primary"]) {
            const { config, secretKeys } = environmentConfig("dr", { "autovideo-dr:role": role });
            dr[role] = await runProgram("dr", config, secretKeys, { [stackName("global")]: exported });
        }
    });

    it("the database credentials: the global stack keeps a replica of the secret in dr's region", () => {
        const secret = global.one("aws:secretsmanager/secret:Secret");
        assert.equal(secret.region, prodRegion, "the secret's home is the first environment's region");
        assert.deepEqual(secret.inputs.replicas, [{ region: drRegion }]);
        assert.match(global.outputs.databaseSecretArns[drRegion], new RegExp(`^arn:aws:secretsmanager:${drRegion}:`));
    });

    for (const role of ["standby", "primary"]) {
        it(`dr as ${role} reads the credentials only from that replica, in its own region`, () => {
            const run = dr[role];
            const replica = global.outputs.databaseSecretArns[drRegion];
            const reader = run.ofType("aws:iam/rolePolicy:RolePolicy")
                .flatMap(p => statements(p.inputs.policy).map(s => ({ policy: p, s })))
                .filter(({ s }) => [s.Action].flat().some(a => String(a).startsWith("secretsmanager:")));
            assert.ok(reader.length > 0, "some role reads the database secret");
            for (const { policy, s } of reader) assert.deepEqual([s.Resource].flat(), [replica], `${policy.name} reads only dr's replica`);
            const store = run.ofType("kubernetes:external-secrets.io/v1:ClusterSecretStore");
            assert.equal(store.length, 1);
            assert.equal(store[0].inputs.spec.provider.aws.region, drRegion, "the External Secrets Operator reads Secrets Manager in dr's region");
            assert.equal(run.outputs.databaseMasterSecretArn, replica);
            // Nothing dr declares points at a secret in prod's region, which may be the one that is gone.
            const prodSecrets = run.resources.filter(r => JSON.stringify(r.inputs).includes(`arn:aws:secretsmanager:${prodRegion}:`));
            assert.deepEqual(prodSecrets.map(r => `${r.type} ${r.name}`), []);
        });

        it(`dr as ${role} holds no static key: the off-site copy assumes a role, and no access key is declared`, () => {
            const run = dr[role];
            for (const type of ["aws:iam/accessKey:AccessKey", "gcp:serviceaccount/key:Key", "aws:iam/userLoginProfile:UserLoginProfile"])
                assert.equal(run.ofType(type).length, 0, `${type} declared`);
            const source = unsecret(run.one("gcp:storage/transferJob:TransferJob").inputs.transferSpec).value.awsS3DataSource;
            assert.ok(source.roleArn, "the transfer job assumes the reader role (AWS web identity federation)");
            assert.equal(source.awsAccessKey, undefined);
        });

        it(`dr as ${role} carries the team channel's webhook as its own Pulumi secret, encrypted in its state`, () => {
            const run = dr[role];
            const holders = run.resources.filter(r => JSON.stringify(r.inputs).includes(testSecrets["autovideo-dr:alertWebhookUrl"]));
            assert.ok(holders.length > 0, "the webhook reaches the alerting config");
            for (const r of holders) assert.ok(containsSecret(r.inputs), `${r.type} ${r.name} holds the webhook as a secret`);
        });
    }
});
