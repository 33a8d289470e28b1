// The global stack: the failover records and health checks (with the fence), the certificates and
// the database credentials, in its normal state and fenced for a critical failover.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { containsSecret, runProgram, Run, stackConfig } from "./harness";

const hc = "aws:route53/healthCheck:HealthCheck";
const record = "aws:route53/record:Record";

function failoverRecords(run: Run) {
    const records = run.ofType(record).filter(r => r.inputs.failoverRoutingPolicies !== undefined);
    const of = (type: string) => records.filter(r => r.inputs.failoverRoutingPolicies[0].type === type);
    assert.equal(of("PRIMARY").length, 1, "exactly one PRIMARY record");
    assert.equal(of("SECONDARY").length, 1, "exactly one SECONDARY record");
    const healthCheckOf = (r: typeof records[0]) => run.ofType(hc).find(h => `hc-${h.name}` === r.inputs.healthCheckId)!;
    return { primary: of("PRIMARY")[0], secondary: of("SECONDARY")[0], healthCheckOf };
}

describe("global stack", () => {
    let run: Run;
    let fenced: Run;
    before(async () => {
        run = await runProgram("global", stackConfig("global"));
        // Step 2 of a critical failover: prod fenced, dr the PRIMARY record's target.
        fenced = await runProgram("global", { ...stackConfig("global"), "autovideo-dr:primaryStack": "dr", "autovideo-dr:fencedStacks": '["prod"]' });
    });

    it("manages Route 53 through the control region, apart from both environments' regions", () => {
        assert.equal(run.one("pulumi:providers:aws", "control").inputs.region, "us-east-1");
        for (const r of [...run.ofType(hc), ...run.ofType(record)]) assert.equal(r.providerName, "control", `${r.type} ${r.name}`);
        for (const stack of ["prod", "dr"]) {
            assert.equal(run.one("pulumi:providers:aws", `region-${stack}`).inputs.stsRegion, "us-east-1", `${stack}'s provider configures while its region is down`);
        }
    });

    it("probes each environment's own name over HTTPS and points PRIMARY at prod, SECONDARY at dr", () => {
        const checks = run.ofType(hc);
        assert.deepEqual(checks.map(c => c.inputs.fqdn).sort(), ["ap-northeast-1.api.autovideo.example.com", "ap-southeast-1.api.autovideo.example.com"]);
        for (const c of checks) {
            assert.equal(c.inputs.type, "HTTPS");
            assert.equal(c.inputs.resourcePath, "/health/ready");
            assert.equal(c.inputs.disabled, false);
            assert.equal(c.inputs.invertHealthcheck, false);
        }
        const { primary, secondary, healthCheckOf } = failoverRecords(run);
        assert.deepEqual(primary.inputs.records, ["ap-northeast-1.api.autovideo.example.com"]);
        assert.equal(healthCheckOf(primary).inputs.fqdn, "ap-northeast-1.api.autovideo.example.com");
        assert.deepEqual(secondary.inputs.records, ["ap-southeast-1.api.autovideo.example.com"]);
        assert.equal(primary.inputs.name, "api.autovideo.example.com");
        assert.ok(run.after(secondary, primary), "the SECONDARY record is written after the PRIMARY one");
        assert.equal(run.outputs.primaryStack, "prod");
    });

    it("fences prod by forcing its health check unhealthy (disabled and inverted) and points PRIMARY at dr", () => {
        const check = (r: Run, stack: string) => r.ofType(hc).find(h => h.name === `autovideo-dr-traffic-${stack}`)!;
        assert.equal(check(fenced, "prod").inputs.disabled, true);
        assert.equal(check(fenced, "prod").inputs.invertHealthcheck, true);
        assert.equal(check(fenced, "dr").inputs.disabled, false);
        const { primary, secondary, healthCheckOf } = failoverRecords(fenced);
        assert.deepEqual(primary.inputs.records, ["ap-southeast-1.api.autovideo.example.com"]);
        assert.equal(healthCheckOf(primary).name, "autovideo-dr-traffic-dr");
        assert.equal(healthCheckOf(secondary).name, "autovideo-dr-traffic-prod");
        // The same records and checks, rewritten: never a second PRIMARY, never a replaced health check.
        for (const type of [hc, record]) {
            assert.deepEqual(fenced.ofType(type).map(r => r.urn).sort(), run.ofType(type).map(r => r.urn).sort());
        }
        for (const [a, b] of [[check(run, "prod"), check(fenced, "prod")]]) {
            for (const key of ["fqdn", "type", "port", "resourcePath", "measureLatency", "requestInterval"]) assert.deepEqual(b.inputs[key], a.inputs[key], key);
        }
        assert.deepEqual(fenced.outputs.fencedStacks, ["prod"]);
        assert.equal(fenced.outputs.primaryStack, "dr");
    });

    it("certifies each environment in its own region, with one owner for each validation record", () => {
        const certs = run.ofType("aws:acm/certificate:Certificate");
        assert.deepEqual(certs.map(c => [c.region, c.inputs.domainName, c.inputs.subjectAlternativeNames]).sort(), [
            ["ap-northeast-1", "api.autovideo.example.com", ["ap-northeast-1.api.autovideo.example.com"]],
            ["ap-southeast-1", "api.autovideo.example.com", ["ap-southeast-1.api.autovideo.example.com"]],
        ]);
        const validation = run.ofType(record).filter(r => r.inputs.failoverRoutingPolicies === undefined);
        const names = validation.map(r => r.inputs.name);
        assert.equal(new Set(names).size, names.length, "no record is declared twice");
        assert.equal(validation.filter(r => r.inputs.allowOverwrite).length, 0, "nothing overwrites a record another owner holds");
        for (const v of run.ofType("aws:acm/certificateValidation:CertificateValidation")) {
            assert.ok(v.inputs.validationRecordFqdns.includes("_x.api.autovideo.example.com."), `${v.name} validates the shared name`);
        }
        assert.deepEqual(Object.keys(run.outputs.certificateArns).sort(), ["dr", "prod"]);
    });

    it("owns the database credentials: a generated password in a secret replicated to dr's region", () => {
        const secret = run.one("aws:secretsmanager/secret:Secret");
        assert.equal(secret.inputs.name, "autovideo-dr/database");
        assert.equal(secret.region, "ap-northeast-1");
        assert.deepEqual(secret.inputs.replicas, [{ region: "ap-southeast-1" }]);
        assert.equal(secret.inputs.recoveryWindowInDays, 30);
        const version = run.one("aws:secretsmanager/secretVersion:SecretVersion");
        assert.ok(containsSecret(version.inputs.secretString), "the password is a secret in the state");
        assert.deepEqual(Object.keys(run.outputs.databaseSecretArns).sort(), ["ap-northeast-1", "ap-southeast-1"]);
        assert.match(run.outputs.databaseSecretArns["ap-southeast-1"], /^arn:aws:secretsmanager:ap-southeast-1:.*:secret:autovideo-dr\/database-/);
        const password = run.one("random:index/randomPassword:RandomPassword");
        assert.ok(password.inputs.length >= 32);
        assert.doesNotMatch(password.inputs.overrideSpecial, /[/"@' ]/, "characters RDS refuses in a master password");
    });
});
