
namespace AutoVideo.DR.Recovery.Tests.Stacks;

/// <summary>
/// A `pulumi` stand-in on PATH (the real CLI needs a cloud account): a bash script in a temporary
/// bin directory that appends its argv to argv.log and answers from files in its state directory —
/// stacks, per-stack config (set values arrive on stdin, as the driver sends them), the recorded
/// JSON event streams of `up` and the document of `preview`, and outputs that follow the applied
/// role, and a global stack whose outputs follow its applied primaryStack/fencedStacks config.
/// Touching state/locked, state/fail-up or removing a stack from state/stacks produces pulumi's own
/// error messages; <see cref="RegionDown"/> makes every call that would reach a stack's region fail
/// (update, preview, refresh), as they would while that region is down. An update applies the
/// restore inputs (dbRestoreTime, dbRestoreSource) to the instance's restoreToPointInTime in the
/// exported state, as the provider would record a restored instance. For the stacks' own state it
/// answers stack ls/init/rm, stack export (secrets as ciphertext unless --show-secrets or
/// state/export-plaintext), stack import --file (kept per stack; state/fail-import-&lt;stack&gt; fails it), and
/// config --json (a secret's value left out, as pulumi does) and config rm.
/// </summary>
public sealed class PulumiStandIn : IDisposable
{
    readonly TemporaryDirectory directory = new();

    public string BinDirectory => directory.Combine("bin");
    public string State => directory.Combine("state");
    public string Executable => Path.Combine(BinDirectory, "pulumi");
    public string WorkDirectory => directory.Combine("work");

    public PulumiStandIn()
    {
        Directory.CreateDirectory(BinDirectory);
        Directory.CreateDirectory(State);
        Directory.CreateDirectory(WorkDirectory);
        File.WriteAllText(Executable, Script);
        File.SetUnixFileMode(Executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(State, "stacks"), "prod\ndr\nglobal\n");
        File.WriteAllText(Path.Combine(State, "up-events.jsonl"), UpEvents);
        File.WriteAllText(Path.Combine(State, "up-failed.jsonl"), FailedUpEvents);
        File.WriteAllText(Path.Combine(State, "preview.json"), Preview);
        SetConfig("prod", "autovideo-dr:role", "primary");
        SetConfig("dr", "autovideo-dr:role", "standby");
        SetConfig("dr", "autovideo-dr:peerStack", "organization/autovideo-dr/prod");
        File.WriteAllText(Path.Combine(State, "prod.applied-role"), "primary");
        File.WriteAllText(Path.Combine(State, "dr.applied-role"), "standby");
        SetConfig("global", "autovideo-dr:primaryStack", "prod");
        SetConfig("global", "autovideo-dr:fencedStacks", "[]");
        File.WriteAllText(Path.Combine(State, "global.applied-primaryStack"), "prod");
        File.WriteAllText(Path.Combine(State, "global.applied-fencedStacks"), "[]");
    }

    /// <summary>The cacheEndpoint output of a stack (host:port; 127.0.0.1:1 unless set).</summary>
    public void SetCacheEndpoint(string stack, string endpoint) => File.WriteAllText(Path.Combine(State, stack + ".cache-endpoint"), endpoint);

    /// <summary>Every call that would reach <paramref name="stack"/>'s region fails from now on.</summary>
    public void RegionDown(string stack) => Touch($"down-{stack}");

    /// <summary>The calls that would have needed <paramref name="stack"/>'s region (updates, previews, refreshes).</summary>
    public IReadOnlyList<string> RegionalCalls(string stack) =>
        Calls.Where(c => (c.StartsWith("up ", StringComparison.Ordinal) || c.StartsWith("preview", StringComparison.Ordinal) || c.StartsWith("refresh", StringComparison.Ordinal))
            && c.Contains($"--stack {stack} ", StringComparison.Ordinal)).ToList();

    public void SetConfig(string stack, string key, string value)
    {
        Directory.CreateDirectory(Path.Combine(State, stack + ".config"));
        File.WriteAllText(Path.Combine(State, stack + ".config", key), value);
    }

    /// <summary>A secret config value, as `pulumi config set --secret` leaves it (the stand-in keeps it readable to the tests only).</summary>
    public void SetSecretConfig(string stack, string key, string value)
    {
        SetConfig(stack, key, value);
        File.AppendAllText(Path.Combine(State, stack + ".secrets"), key + "\n");
    }

    /// <summary>The stacks the backend holds now.</summary>
    public IReadOnlyList<string> Stacks => File.ReadAllLines(Path.Combine(State, "stacks")).Where(l => l.Length > 0).ToList();

    /// <summary>Drops stacks from the backend, as a lost or damaged backend would.</summary>
    public void LoseStacks(params string[] stacks) =>
        File.WriteAllLines(Path.Combine(State, "stacks"), Stacks.Except(stacks));

    /// <summary>The deployment a stack's state holds after an import (null before any).</summary>
    public string? Imported(string stack) =>
        File.Exists(Path.Combine(State, stack + ".deployment.json")) ? File.ReadAllText(Path.Combine(State, stack + ".deployment.json")) : null;

    public string? Config(string stack, string key) =>
        File.Exists(Path.Combine(State, stack + ".config", key)) ? File.ReadAllText(Path.Combine(State, stack + ".config", key)) : null;

    public IReadOnlyList<string> Calls => File.Exists(Path.Combine(State, "argv.log")) ? File.ReadAllLines(Path.Combine(State, "argv.log")) : [];

    public void Touch(string name) => File.WriteAllText(Path.Combine(State, name), "");

    /// <summary>The databaseReplicatedBackupsArn output of a (primary) stack (none unless set).</summary>
    public void SetReplicatedBackups(string stack, string arn) => File.WriteAllText(Path.Combine(State, stack + ".replicated-backups"), arn);

    /// <summary>The regionalHealthCheckUrl output of a stack, or the healthCheckUrl of the global stack (none unless set).</summary>
    public void SetHealthUrl(string stack, string url) => File.WriteAllText(Path.Combine(State, stack + ".health-url"), url);

    /// <summary>Environment for the CLI subprocess: the stand-in first on PATH.</summary>
    public Dictionary<string, string> Environment() => new()
    {
        ["PATH"] = $"{BinDirectory}:/usr/bin:/bin",
    };

    public void Dispose() => directory.Dispose();

    const string Script = """
        #!/usr/bin/env bash
        # pulumi stand-in for the tests: records argv, answers from ../state.
        state="$(cd "$(dirname "$0")/../state" && pwd)"
        echo "$*" >> "$state/argv.log"
        stack=""
        args=("$@")
        for ((i = 0; i < ${#args[@]}; i++)); do
          if [ "${args[$i]}" = "--stack" ]; then stack="${args[$((i + 1))]}"; fi
        done
        if [ "$1 $2" = "stack select" ] || [ "$1 $2" = "stack rm" ]; then stack="$3"; fi
        if [ "$1 $2" = "stack init" ]; then
          if grep -qx "$3" "$state/stacks"; then echo "error: stack '$3' already exists" >&2; exit 255; fi
          echo "$3" >> "$state/stacks"; exit 0
        fi
        if [ "$1 $2" = "stack ls" ]; then
          printf '['; sep=""
          while read -r name; do [ -n "$name" ] && printf '%s{"name":"%s","current":false,"updateInProgress":false}' "$sep" "$name" && sep=","; done < "$state/stacks"
          printf ']\n'; exit 0
        fi
        if [ -n "$stack" ] && ! grep -qx "$stack" "$state/stacks"; then
          echo "error: no stack named '$stack' found" >&2
          exit 255
        fi
        if [ -n "$stack" ] && [ -f "$state/down-$stack" ] && { [ "$1" = up ] || [ "$1" = preview ] || [ "$1" = refresh ]; }; then
          echo "error: operation error RDS: DescribeDBInstances, https response error StatusCode: 0, RequestID: , request send failed: dial tcp: lookup rds.ap-northeast-1.amazonaws.com: i/o timeout" >&2
          exit 255
        fi
        case "$1" in
          stack)
            case "$2" in
              select) exit 0 ;;
              rm)
                grep -vx "$stack" "$state/stacks" > "$state/stacks.new"; mv "$state/stacks.new" "$state/stacks"
                rm -rf "$state/$stack.deployment.json" "$state/$stack.config" "$state/$stack.secrets"; exit 0 ;;
              import)
                file=""
                for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[$i]}" = "--file" ] && file="${args[$((i + 1))]}"; done
                if [ -f "$state/fail-import-$stack" ]; then echo "error: could not deserialize deployment: unexpected end of JSON input" >&2; exit 255; fi
                cp "$file" "$state/$stack.deployment.json"; exit 0 ;;
              export)
                if [ -f "$state/$stack.deployment.json" ]; then cat "$state/$stack.deployment.json"; exit 0; fi
                secret='"ciphertext":"v1:N2NlMzc0ZWVhY2Ux:tUc1w1BqzYAm+Cb0"'
                for a in "$@"; do [ "$a" = --show-secrets ] && secret='"plaintext":"\"apiVersion: v1 (decrypted)\""'; done
                [ -f "$state/export-plaintext" ] && secret='"plaintext":"\"apiVersion: v1 (decrypted)\""'
                role="$(cat "$state/$stack.applied-role" 2>/dev/null || echo none)"
                peer=prod; [ "$stack" = prod ] && peer=dr
                source=""; [ "$role" = standby ] && source="arn:aws:rds:ap-northeast-1:123456789012:db:autovideo-$peer"
                restore=null; [ -f "$state/$stack.applied-restore" ] && restore="$(cat "$state/$stack.applied-restore")"
                printf '{"version":3,"deployment":{"manifest":{"time":"2026-11-25T09:00:00Z"},"secrets_providers":{"type":"service","state":{"url":"https://api.pulumi.com","owner":"organization","project":"autovideo-dr","stack":"%s"}},"resources":[{"urn":"urn:pulumi:%s::autovideo-dr::pulumi:pulumi:Stack::autovideo-dr-%s","custom":false,"type":"pulumi:pulumi:Stack","outputs":{"kubeconfig":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270",%s}}},{"urn":"urn:pulumi:%s::autovideo-dr::autovideo-dr:index:Database$aws:rds/instance:Instance::db","custom":true,"id":"autovideo-%s","type":"aws:rds/instance:Instance","outputs":{"arn":"arn:aws:rds:ap-northeast-1:123456789012:db:autovideo-%s","replicateSourceDb":"%s","restoreToPointInTime":%s}}]}}\n' \
                  "$stack" "$stack" "$stack" "$secret" "$stack" "$stack" "$stack" "$source" "$restore"
                exit 0 ;;
              output)
                if [ "$stack" = global ]; then
                  health=""; [ -f "$state/global.health-url" ] && health="$(cat "$state/global.health-url")"
                  printf '{\n  "scope": "global",\n  "dnsName": "api.autovideo.example.com",\n  "healthCheckUrl": "%s",\n  "primaryStack": "%s",\n  "fencedStacks": %s\n}\n' \
                    "$health" "$(cat "$state/global.applied-primaryStack")" "$(cat "$state/global.applied-fencedStacks")"
                  exit 0
                fi
                # Like pulumi, outputs computed from config follow it even when the update failed.
                role="$(cat "$state/$stack.applied-role")"
                [ -f "$state/$stack.output-role" ] && role="$(cat "$state/$stack.output-role")"
                peer=prod; [ "$stack" = prod ] && peer=dr
                source=""; [ "$role" = standby ] && source="arn:aws:rds:ap-northeast-1:123456789012:db:autovideo-$peer"
                health=""; [ -f "$state/$stack.health-url" ] && health="$(cat "$state/$stack.health-url")"
                generation=1; [ -f "$state/$stack.applied-generation" ] && generation="$(cat "$state/$stack.applied-generation")"
                cache="127.0.0.1:1"; [ -f "$state/$stack.cache-endpoint" ] && cache="$(cat "$state/$stack.cache-endpoint")"
                backups=""; [ -f "$state/$stack.replicated-backups" ] && backups="$(cat "$state/$stack.replicated-backups")"
                printf '{\n  "globalStack": "global",\n  "cacheRole": "%s",\n  "databaseGeneration": %s,\n  "databaseReplicatedBackupsArn": "%s",\n  "role": "%s",\n  "peerStack": "",\n  "databaseEndpoint": "127.0.0.1:1",\n  "databaseAddress": "127.0.0.1",\n  "databasePort": 1,\n  "databaseArn": "arn:aws:rds:ap-northeast-1:123456789012:db:autovideo-%s",\n  "databaseReplicaSource": "%s",\n  "databaseMasterSecretArn": "",\n  "backupsBucket": "autovideo-backups-%s",\n  "cacheEndpoint": "%s",\n  "dnsName": "api.autovideo.example.com",\n  "regionalHealthCheckUrl": "%s",\n  "kubeconfig": "apiVersion: v1 (secret, shown by --show-secrets)"\n}\n' \
                  "$([ "$role" = primary ] && echo primary || echo secondary)" "$generation" "$backups" "$role" "$stack" "$source" "$stack" "$cache" "$health"
                exit 0 ;;
            esac ;;
          config)
            mkdir -p "$state/$stack.config"
            if [ "$2" = "--json" ]; then
              # Like pulumi without --show-secrets: a secret's value is left out.
              printf '{'; sep=""
              for f in "$state/$stack.config"/*; do
                [ -f "$f" ] || continue
                key="$(basename "$f")"
                if [ -f "$state/$stack.secrets" ] && grep -qx "$key" "$state/$stack.secrets"; then
                  printf '%s"%s":{"secret":true}' "$sep" "$key"
                else
                  value="$(cat "$f")"; value="${value//\\/\\\\}"; value="${value//\"/\\\"}"
                  printf '%s"%s":{"value":"%s","secret":false}' "$sep" "$key" "$value"
                fi
                sep=","
              done
              printf '}\n'; exit 0
            fi
            case "$2" in
              rm)
                rm -f "$state/$stack.config/$3"; exit 0 ;;
              get)
                if [ -f "$state/$stack.config/$3" ]; then cat "$state/$stack.config/$3"; echo; exit 0; fi
                echo "error: configuration key '$3' not found for stack '$stack'" >&2
                exit 255 ;;
              set)
                value="$(cat)"
                printf '%s' "$value" > "$state/$stack.config/$3"
                for a in "$@"; do [ "$a" = --secret ] && echo "$3" >> "$state/$stack.secrets"; done
                exit 0 ;;
            esac ;;
          preview)
            if [ -f "$state/locked" ]; then
              echo "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`." >&2
              exit 255
            fi
            cat "$state/preview.json"; exit 0 ;;
          up)
            if [ -f "$state/locked" ]; then
              echo "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`." >&2
              echo "  file://~/.pulumi/locks/organization/autovideo-dr/$stack/1f7c.json: created by ops@bastion (pid 4242) at 2026-11-25T09:00:00Z" >&2
              exit 255
            fi
            if [ -f "$state/fail-up" ] && [ "$stack" != global ]; then
              cat "$state/up-failed.jsonl"
              [ -f "$state/$stack.config/autovideo-dr:role" ] && cp "$state/$stack.config/autovideo-dr:role" "$state/$stack.output-role"
              echo "error: update failed" >&2
              exit 255
            fi
            cat "$state/up-events.jsonl"
            rm -f "$state/$stack.output-role"
            if [ -f "$state/$stack.config/autovideo-dr:role" ]; then cp "$state/$stack.config/autovideo-dr:role" "$state/$stack.applied-role"; fi
            if [ -f "$state/$stack.config/autovideo-dr:dbGeneration" ]; then cp "$state/$stack.config/autovideo-dr:dbGeneration" "$state/$stack.applied-generation"; fi
            if [ -f "$state/$stack.config/autovideo-dr:dbRestoreTime" ]; then
              time="$(cat "$state/$stack.config/autovideo-dr:dbRestoreTime")"
              arn="$(cat "$state/$stack.config/autovideo-dr:dbRestoreSource")"
              if [ "$time" = latest ]; then printf '{"sourceDbInstanceAutomatedBackupsArn":"%s","useLatestRestorableTime":true}' "$arn" > "$state/$stack.applied-restore"
              else printf '{"sourceDbInstanceAutomatedBackupsArn":"%s","restoreTime":"%s"}' "$arn" "$time" > "$state/$stack.applied-restore"; fi
            fi
            if [ "$stack" = global ]; then
              cp "$state/global.config/autovideo-dr:primaryStack" "$state/global.applied-primaryStack"
              cp "$state/global.config/autovideo-dr:fencedStacks" "$state/global.applied-fencedStacks"
            fi
            exit 0 ;;
        esac
        echo "error: unknown command '$*'" >&2
        exit 255
        """;

    // Recorded from the shapes `pulumi up --json` streams: one engine event per line.
    const string UpEvents = """
        {"sequence":0,"timestamp":1764061200,"preludeEvent":{"config":{"autovideo-dr:role":"primary"}}}
        {"sequence":1,"timestamp":1764061201,"resourcePreEvent":{"metadata":{"op":"same","urn":"urn:pulumi:dr::autovideo-dr::pulumi:pulumi:Stack::autovideo-dr-dr","type":"pulumi:pulumi:Stack","provider":""}}}
        {"sequence":2,"timestamp":1764061202,"resourcePreEvent":{"metadata":{"op":"update","urn":"urn:pulumi:dr::autovideo-dr::autovideo-dr:index:Database$aws:rds/instance:Instance::db","type":"aws:rds/instance:Instance","provider":"urn:pulumi:dr::autovideo-dr::pulumi:providers:aws::default::1","diffs":["replicateSourceDb"]}}}
        {"sequence":3,"timestamp":1764061290,"resOutputsEvent":{"metadata":{"op":"update","urn":"urn:pulumi:dr::autovideo-dr::autovideo-dr:index:Database$aws:rds/instance:Instance::db","type":"aws:rds/instance:Instance","provider":""}}}
        {"sequence":4,"timestamp":1764061291,"resourcePreEvent":{"metadata":{"op":"update","urn":"urn:pulumi:dr::autovideo-dr::aws:route53/record:Record::api-failover","type":"aws:route53/record:Record","provider":""}}}
        {"sequence":5,"timestamp":1764061300,"diagnosticEvent":{"urn":"urn:pulumi:dr::autovideo-dr::aws:route53/record:Record::api-failover","prefix":"warning: ","message":"<{%reset%}>TTL is low<{%reset%}>\n","color":"raw","severity":"warning"}}
        {"sequence":6,"timestamp":1764061320,"resOutputsEvent":{"metadata":{"op":"update","urn":"urn:pulumi:dr::autovideo-dr::aws:route53/record:Record::api-failover","type":"aws:route53/record:Record","provider":""}}}
        {"sequence":7,"timestamp":1764061321,"resOutputsEvent":{"metadata":{"op":"same","urn":"urn:pulumi:dr::autovideo-dr::pulumi:pulumi:Stack::autovideo-dr-dr","type":"pulumi:pulumi:Stack","provider":""}}}
        {"sequence":8,"timestamp":1764061322,"summaryEvent":{"maybeCorrupt":false,"durationSeconds":121,"resourceChanges":{"same":40,"update":2},"PolicyPacks":{}}}
        {"sequence":9,"timestamp":1764061322,"cancelEvent":{}}
        """;

    const string FailedUpEvents = """
        {"sequence":0,"timestamp":1764061200,"preludeEvent":{"config":{}}}
        {"sequence":1,"timestamp":1764061202,"resourcePreEvent":{"metadata":{"op":"update","urn":"urn:pulumi:dr::autovideo-dr::aws:rds/instance:Instance::db","type":"aws:rds/instance:Instance","provider":""}}}
        {"sequence":2,"timestamp":1764061210,"diagnosticEvent":{"urn":"urn:pulumi:dr::autovideo-dr::aws:rds/instance:Instance::db","prefix":"error: ","message":"<{%reset%}>promoting read replica: InvalidDBInstanceState: autovideo-dr is not in available state<{%reset%}>\n","color":"raw","severity":"error"}}
        {"sequence":3,"timestamp":1764061210,"resOpFailedEvent":{"metadata":{"op":"update","urn":"urn:pulumi:dr::autovideo-dr::aws:rds/instance:Instance::db","type":"aws:rds/instance:Instance","provider":""},"status":1,"steps":1}}
        {"sequence":4,"timestamp":1764061211,"diagnosticEvent":{"message":"update failed","color":"raw","severity":"error"}}
        {"sequence":5,"timestamp":1764061211,"summaryEvent":{"maybeCorrupt":false,"durationSeconds":11,"resourceChanges":{"same":40},"PolicyPacks":{}}}
        {"sequence":6,"timestamp":1764061211,"cancelEvent":{}}
        """;

    // The single document `pulumi preview --json` prints.
    const string Preview = """
        {
          "config": {"autovideo-dr:role": "primary"},
          "steps": [
            {"op": "same", "urn": "urn:pulumi:dr::autovideo-dr::pulumi:pulumi:Stack::autovideo-dr-dr"},
            {"op": "update", "urn": "urn:pulumi:dr::autovideo-dr::aws:rds/instance:Instance::db", "diffReasons": ["replicateSourceDb"]},
            {"op": "update", "urn": "urn:pulumi:dr::autovideo-dr::aws:route53/record:Record::api-failover"}
          ],
          "duration": 5300000000,
          "changeSummary": {"same": 40, "update": 2}
        }
        """;
}
