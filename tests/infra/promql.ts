// The metric selectors a PromQL expression reads: enough of PromQL's lexical rules to tell a
// metric name from a function, an aggregation, a keyword, a label name or a duration.

export interface Selector {
    name: string;
    /** Equality matchers only (label="value"); other matchers are kept out. */
    labels: Record<string, string>;
}

const keywords = new Set(["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"]);
const labelListKeywords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const aggregations = new Set(["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"]);

export function metricSelectors(expr: string): Selector[] {
    const out: Selector[] = [];
    let i = 0;
    const skipSpace = () => { while (i < expr.length && /\s/.test(expr[i])) i++; };
    const skipString = () => {
        const quote = expr[i++];
        while (i < expr.length && expr[i] !== quote) i += expr[i] === "\\" ? 2 : 1;
        i++;
    };
    const skipTo = (close: string) => {
        while (i < expr.length && expr[i] !== close) {
            if (expr[i] === '"' || expr[i] === "'" || expr[i] === "`") skipString(); else i++;
        }
        i++;
    };
    const matchers = (): Record<string, string> => {
        const labels: Record<string, string> = {};
        const end = expr.indexOf("}", i);
        for (const m of expr.slice(i + 1, end).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
            if (m[2] === "=") labels[m[1]] = m[3];
        }
        i = end + 1;
        return labels;
    };

    while (i < expr.length) {
        const c = expr[i];
        if (c === '"' || c === "'" || c === "`") { skipString(); continue; }
        if (c === "[") { skipTo("]"); continue; }
        if (c === "{") { out.push({ name: "", labels: matchers() }); continue; }
        if (/[0-9.]/.test(c)) { while (i < expr.length && /[0-9a-zA-Z.]/.test(expr[i])) i++; continue; }
        if (/[a-zA-Z_:]/.test(c)) {
            const start = i;
            while (i < expr.length && /[a-zA-Z0-9_:]/.test(expr[i])) i++;
            const word = expr.slice(start, i);
            skipSpace();
            if (labelListKeywords.has(word)) {
                if (expr[i] === "(") skipTo(")");
                continue;
            }
            if (keywords.has(word.toLowerCase()) || aggregations.has(word) || expr[i] === "(") continue;
            out.push({ name: word, labels: expr[i] === "{" ? matchers() : {} });
            continue;
        }
        i++;
    }
    return out.filter(s => s.name !== "");
}
