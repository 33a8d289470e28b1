import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { infraDir, repoRoot } from "./harness";

/** Keys whose value must never sit in a stack file in plain text. */
const secretLooking = /secret|password|passwd|token|credential|private.?key|access.?key|api.?key|auth/i;

/** Config entries of a stack file that look secret but are not Pulumi ciphertext (`secure:`). */
export function plaintextSecrets(doc: { config?: Record<string, unknown> }): string[] {
    return Object.entries(doc.config ?? {})
        .filter(([key]) => secretLooking.test(key))
        .filter(([, value]) => !(typeof value === "object" && value !== null && typeof (value as { secure?: unknown }).secure === "string"))
        .map(([key]) => key);
}

const load = (file: string) => YAML.parse(fs.readFileSync(path.join(repoRoot, file), "utf8"));

describe("stack files", () => {
    it("Pulumi.yaml: project autovideo-dr, nodejs with TypeScript, main infra/", () => {
        const project = load("Pulumi.yaml");
        assert.equal(project.name, "autovideo-dr");
        assert.equal(project.runtime.name, "nodejs");
        assert.equal(project.runtime.options.typescript, true);
        assert.equal(project.main, "infra/");
    });

    it("infra/ holds what Pulumi runs from main: package.json pointing at index.ts, tsconfig, lock file", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(infraDir, "package.json"), "utf8"));
        assert.equal(pkg.main, "index.ts");
        for (const f of ["index.ts", "tsconfig.json", "package-lock.json"]) assert.ok(fs.existsSync(path.join(infraDir, f)), f);
        for (const dep of ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/gcp", "@pulumi/kubernetes", "@pulumi/random", "@pulumi/command", "yaml"]) assert.ok(pkg.dependencies[dep], dep);
    });

    for (const stack of ["prod", "dr", "global"]) {
        it(`Pulumi.${stack}.yaml has no plain-text secret`, () => {
            const doc = load(`Pulumi.${stack}.yaml`);
            assert.deepEqual(plaintextSecrets(doc), []);
            // Nothing shaped like an AWS secret key or access key id anywhere in the file either.
            const text = fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8");
            assert.doesNotMatch(text, /AKIA[0-9A-Z]{16}|(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/);
        });
    }

    it("the scan catches a plain-text secret and accepts ciphertext", () => {
        assert.deepEqual(plaintextSecrets({ config: {
            "autovideo-dr:offsiteAwsSecretAccessKey": "wJalrXUtnFEMI",
            "autovideo-dr:dbPassword": { secure: "AAABAMx1" },
            "autovideo-dr:region": "ap-northeast-1",
        } }), ["autovideo-dr:offsiteAwsSecretAccessKey"]);
    });

    it("the two stacks are the two ends of one pair", () => {
        const prod = load("Pulumi.prod.yaml").config;
        const dr = load("Pulumi.dr.yaml").config;
        assert.equal(prod["autovideo-dr:role"], "primary");
        assert.equal(dr["autovideo-dr:role"], "standby");
        assert.equal(prod["autovideo-dr:peerRegion"], dr["autovideo-dr:region"]);
        assert.equal(dr["autovideo-dr:peerRegion"], prod["autovideo-dr:region"]);
        assert.match(dr["autovideo-dr:peerStack"], /\/autovideo-dr\/prod$/);
        assert.notEqual(prod["autovideo-dr:vpcCidr"], dr["autovideo-dr:vpcCidr"], "non-overlapping, so the VPCs can be peered");
        assert.equal(prod["autovideo-dr:dnsName"], dr["autovideo-dr:dnsName"], "one failover name");
    });

    it("the global stack serves exactly the two environments, in their regions, under their shared name", () => {
        const prod = load("Pulumi.prod.yaml").config;
        const dr = load("Pulumi.dr.yaml").config;
        const global = load("Pulumi.global.yaml").config;
        assert.equal(global["autovideo-dr:scope"], "global");
        assert.deepEqual(global["autovideo-dr:environments"], [
            { stack: "prod", region: prod["autovideo-dr:region"] },
            { stack: "dr", region: dr["autovideo-dr:region"] },
        ]);
        assert.equal(global["autovideo-dr:dnsName"], prod["autovideo-dr:dnsName"]);
        assert.equal(global["autovideo-dr:dnsZoneId"], prod["autovideo-dr:dnsZoneId"]);
        for (const env of [prod, dr]) assert.equal(env["autovideo-dr:globalStack"], "organization/autovideo-dr/global");
        assert.equal(global["autovideo-dr:primaryStack"], "prod", "the committed state: prod serves, nothing fenced");
        assert.deepEqual(global["autovideo-dr:fencedStacks"], []);
    });
});
