// The autovideo-dr image (Dockerfile) against the stacks that run it. No Docker engine runs on this
// machine, so the Dockerfile is read, not built: the PR workflow (.github/workflows/preview.yml, job
// image) builds it.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { postgresMajorVersion } from "../../infra/database";
import { environmentConfig, repoRoot, Run, runProgram } from "./harness";

const dockerfile = fs.readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
/** Instructions, with continuation lines joined and comments dropped. */
const instructions = dockerfile.replace(/\\\n/g, " ").split("\n").map(l => l.trim()).filter(l => l !== "" && !l.startsWith("#"));
const stages = instructions.reduce<string[][]>((acc, l) => (l.startsWith("FROM ") ? [...acc, [l]] : acc.length ? [...acc.slice(0, -1), [...acc[acc.length - 1], l]] : acc), []);
const finalStage = stages[stages.length - 1];

describe("autovideo-dr image", () => {
    let run: Run;
    before(async () => {
        const { config, secretKeys } = environmentConfig("prod");
        run = await runProgram("prod", config, secretKeys);
    });

    it("installs PostgreSQL programs of the stacks' engine major version", () => {
        const arg = instructions.find(l => /^ARG PG_MAJOR=/.test(l));
        assert.equal(arg, `ARG PG_MAJOR=${postgresMajorVersion}`);
        const db = run.one("aws:rds/instance:Instance");
        assert.equal(db.inputs.engineVersion, String(postgresMajorVersion), "the engine the stack deploys");
        assert.equal(run.one("aws:rds/parameterGroup:ParameterGroup").inputs.family, `postgres${postgresMajorVersion}`);
        const install = finalStage.find(l => l.includes("apt-get install") && l.includes("postgresql-client-"))!;
        assert.match(install, /"postgresql-client-\$\{PG_MAJOR\}"/);
        assert.match(install, /"postgresql-\$\{PG_MAJOR\}"/, "the CLI checks the server programs too");
        assert.ok(finalStage.includes("ARG PG_MAJOR"), "the final stage sees PG_MAJOR");
        assert.match(finalStage.find(l => l.startsWith("ENV "))!, /AUTOVIDEO_DR_PG_BIN=\/usr\/lib\/postgresql\/\$\{PG_MAJOR\}\/bin/);
    });

    it("is multi-stage, from base images pinned by exact version or digest", () => {
        assert.ok(stages.length >= 2, "a build stage and a runtime stage");
        for (const from of stages.map(s => s[0])) {
            const image = from.split(/\s+/)[1];
            assert.ok(/@sha256:[0-9a-f]{64}$/.test(image) || /:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/.test(image), `${image} is pinned`);
        }
        assert.ok(finalStage.some(l => l.startsWith("COPY --from=build ")), "the runtime stage takes only the published CLI");
        assert.ok(!finalStage.some(l => /dotnet\/sdk/.test(l)), "no SDK in the runtime image");
    });

    it("publishes the CLI project and runs as the non-root user the CronJobs expect", () => {
        const publish = stages[0].find(l => l.includes("dotnet publish recovery/AutoVideo.DR.Cli/AutoVideo.DR.Cli.csproj"));
        assert.ok(publish);
        // For linux-x64 the project publishes self-contained composite ReadyToRun, as scripts/bench-backup.sh
        // measures it (start-up counts in a short CronJob), so the runtime stage needs .NET's dependencies only.
        assert.ok(publish.includes("--runtime linux-x64") && !publish.includes("--self-contained false"), publish);
        const project = fs.readFileSync(path.join(repoRoot, "recovery/AutoVideo.DR.Cli/AutoVideo.DR.Cli.csproj"), "utf8");
        const whenPublished = project.match(/<PropertyGroup Condition="'\$\(RuntimeIdentifier\)' != ''">([\s\S]*?)<\/PropertyGroup>/)?.[1] ?? "";
        for (const property of ["SelfContained", "PublishReadyToRun", "PublishReadyToRunComposite"]) {
            assert.ok(whenPublished.includes(`<${property}>true</${property}>`), `${property} when published for a runtime`);
        }
        assert.match(finalStage[0], /^FROM mcr\.microsoft\.com\/dotnet\/runtime-deps:/);
        const user = finalStage.filter(l => l.startsWith("USER ")).pop()!;
        const uid = Number(user.split(/\s+/)[1].split(":")[0]);
        assert.ok(Number.isInteger(uid) && uid > 0, `${user} is not root`);
        for (const job of run.ofType("kubernetes:batch/v1:CronJob")) {
            assert.equal(job.inputs.spec.jobTemplate.spec.template.spec.securityContext.runAsUser, uid, job.name);
        }
        assert.deepEqual(JSON.parse(finalStage.find(l => l.startsWith("ENTRYPOINT "))!.slice("ENTRYPOINT ".length)), ["autovideo-dr"]);
    });

    it("keeps the build context to what the image needs", () => {
        const ignore = fs.readFileSync(path.join(repoRoot, ".dockerignore"), "utf8").split("\n").filter(l => l && !l.startsWith("#"));
        assert.equal(ignore[0], "*", "everything out, then what the build copies back in");
        for (const copied of ["Directory.Build.props", "Directory.Packages.props", "policy/", "recovery/"]) assert.ok(ignore.includes(`!${copied}`), copied);
    });
});
