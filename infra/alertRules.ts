import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

/**
 * The alert rules: one file in the repository (monitoring/alerts.yaml, Prometheus rule-file
 * format), read from disk when the program starts and handed to the PrometheusRule unchanged.
 * The local environment's Prometheus loads the very same file, so a rule is never copied.
 */
export const alertRulesFile = path.resolve(__dirname, "..", "monitoring", "alerts.yaml");

export interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

export interface RuleGroup {
    name: string;
    rules: AlertRule[];
}

/** Parses and checks a rule file; throws one line naming the file and what is wrong. */
export function parseAlertRules(text: string, file = alertRulesFile): RuleGroup[] {
    const shown = path.relative(path.resolve(__dirname, ".."), file) || file;
    let doc: unknown;
    try {
        doc = YAML.parse(text);
    } catch (e) {
        throw new Error(`${shown} is not YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    const groups = (doc as { groups?: unknown })?.groups;
    if (!Array.isArray(groups) || groups.length === 0) {
        throw new Error(`${shown} has no groups; accepted: a Prometheus rule file (groups: [{name, rules: [{alert, expr, ...}]}])`);
    }
    for (const g of groups as RuleGroup[]) {
        if (typeof g?.name !== "string" || !Array.isArray(g.rules) || g.rules.length === 0) {
            throw new Error(`${shown}: group ${JSON.stringify(g?.name)} has no name or no rules`);
        }
        for (const r of g.rules) {
            if (typeof r?.alert !== "string" || typeof r.expr !== "string" || r.expr.trim() === "") {
                throw new Error(`${shown}: group ${g.name} has a rule without alert and expr (${JSON.stringify(r?.alert ?? r)})`);
            }
            if (typeof r.labels?.severity !== "string") {
                throw new Error(`${shown}: rule ${r.alert} has no severity label; accepted: severity critical (pages on-call) or warning (team channel)`);
            }
        }
    }
    return groups as RuleGroup[];
}

export function loadAlertRules(file = alertRulesFile): RuleGroup[] {
    return parseAlertRules(fs.readFileSync(file, "utf8"), file);
}
