// Reading a Pulumi.<stack>.yaml offline, as check-config does: the config in the checks' form
// (`secure:` values kept as Secure, top-level scalars as the strings Pulumi would pass), and the
// line each problem points at.
import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, isMap, isScalar, parseDocument } from "yaml";
import { PROJECT, PathSegment, Problem, Secure, StackConfigInput } from "./schema";

export interface StackFile {
  file: string;
  input: StackConfigInput;
  /** Problems of the file itself (YAML syntax, no `config:` mapping). */
  fileProblems: string[];
  /** 1-based line of a problem's path (or of its nearest ancestor present in the file). */
  lineOf(p: Pick<Problem, "key" | "path">): number | undefined;
}

/** The stack name of Pulumi.<stack>.yaml. */
export function stackNameOf(file: string): string {
  const m = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
  return m ? m[1] : path.basename(file).replace(/\.ya?ml$/, "");
}

/** The project name from the Pulumi.yaml next to a stack file (the namespace of project keys). */
export function projectNameNear(file: string): string {
  for (const name of ["Pulumi.yaml", "Pulumi.yml"]) {
    const p = path.join(path.dirname(path.resolve(file)), name);
    if (fs.existsSync(p)) {
      const doc = parseDocument(fs.readFileSync(p, "utf8")).toJS() as { name?: unknown } | null;
      if (doc && typeof doc.name === "string") return doc.name;
    }
  }
  return PROJECT;
}

function toChecked(v: unknown): { value: unknown; secret: boolean } {
  if (Array.isArray(v)) {
    const items = v.map(toChecked);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === "secure" && typeof o.secure === "string") return { value: new Secure(o.secure), secret: true };
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const c = toChecked(o[k]);
      secret ||= c.secret;
      out[k] = c.value;
    }
    return { value: out, secret };
  }
  return { value: v, secret: false };
}

export function readStackFile(file: string, opts: { project?: string; stack?: string } = {}): StackFile {
  const source = fs.readFileSync(file, "utf8");
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true });
  const fileProblems = doc.errors.map((e) => {
    const line = e.linePos?.[0]?.line;
    return `${line ? `line ${line}: ` : ""}${e.message.split("\n")[0]}`;
  });
  const project = opts.project ?? projectNameNear(file);
  const stack = opts.stack ?? stackNameOf(file);
  const values: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  if (fileProblems.length === 0) {
    const root = doc.toJS() as Record<string, unknown> | null;
    const config = root?.config;
    if (config === undefined || config === null) fileProblems.push("no config: mapping: a stack file holds its settings under config:");
    else if (typeof config !== "object" || Array.isArray(config)) fileProblems.push("config: must be a mapping of key: value");
    else {
      for (const [key, raw] of Object.entries(config as Record<string, unknown>)) {
        const { value, secret } = toChecked(raw);
        if (secret) secretKeys.push(key);
        // Pulumi hands top-level scalars to programs as strings.
        values[key] = value === null ? "" : typeof value === "object" ? value : String(value);
      }
    }
  }
  const lineOf = (p: Pick<Problem, "key" | "path">): number | undefined => {
    const full: PathSegment[] = ["config", p.key, ...p.path];
    for (let n = full.length; n >= 2; n--) {
      const node = doc.getIn(full.slice(0, n), true) as { range?: [number, number, number] | null } | undefined;
      if (node?.range) return lineCounter.linePos(node.range[0]).line;
      // A key whose value is missing or null: point at the key itself.
      const parent = doc.getIn(full.slice(0, n - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === full[n - 1]);
        const keyNode = pair?.key as { range?: [number, number, number] } | undefined;
        if (keyNode?.range) return lineCounter.linePos(keyNode.range[0]).line;
      }
    }
    return undefined;
  };
  return { file, input: { project, stack, values, secretKeys, source: "file" }, fileProblems, lineOf };
}
