// npm run check-config -- Pulumi.<tenant>.yaml [more stack files]
//
// Validates stack files offline (no tenant, no Pulumi CLI) with the program's own checks. Prints
// every problem as `<file>:<line>: <path>: <message>` and exits 1; with none, prints a summary of
// what each stack will manage and exits 0.
import * as path from "node:path";
import { formatProblem, problemPath, ResolvedIntegration, ResolvedStack, Secure, validateStack } from "./schema";
import { readStackFile } from "./stack-file";

export interface CheckResult {
  ok: boolean;
  /** One line per problem, without the file and line prefix. */
  problems: string[];
  /** What is printed. */
  output: string[];
}

export function checkStackFile(file: string): CheckResult {
  const display = path.relative(process.cwd(), file) || file;
  const sf = readStackFile(file);
  if (sf.fileProblems.length > 0) {
    return { ok: false, problems: sf.fileProblems, output: sf.fileProblems.map((p) => `${display}: ${p}`) };
  }
  const { problems, stack } = validateStack(sf.input);
  if (problems.length > 0 || !stack) {
    const lines = problems.map((p) => formatProblem(p, sf.input.project));
    const output = problems.map((p, i) => {
      const line = sf.lineOf(p);
      return `${display}${line ? `:${line}` : ""}: ${lines[i]}`;
    });
    output.push(`${display}: ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was checked against the tenant`);
    return { ok: false, problems: lines, output };
  }
  return { ok: true, problems: [], output: summary(display, stack) };
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One screen: the connection, then per integration its role, member and key. */
export function summary(display: string, stack: ResolvedStack): string[] {
  const c = stack.connection;
  const out = [`${display}: OK (stack ${stack.stack}, ${count(stack.integrations.length, "integration")})`];
  const env = c.fromEnv.length ? `; from the environment at run time: ${c.fromEnv.join(", ")}` : "";
  out.push(`  tenant  ${c.companyId ?? "(CWMANAGE_COMPANY_ID)"} at ${c.site ?? "(CWMANAGE_SITE)"}${env}`);
  for (const it of stack.integrations) {
    out.push(`  ${it.name}${it.preset ? `  (preset ${it.preset})` : ""}`);
    out.push(`    role    ${roleLine(it)}`);
    out.push(`    member  ${memberLine(it)}`);
    out.push(`    key     ${keyLine(it, stack)}`);
  }
  out.push("Nothing was checked against the tenant: pulumi up verifies names, levels and keys there.");
  return out;
}

function roleLine(it: ResolvedIntegration): string {
  const r = it.role;
  if (!r) return "none declared (the existing member keeps whatever role it has; nothing verified)";
  const fns = r.permissions ? Object.values(r.permissions).reduce((n, f) => n + Object.keys(f).length, 0) : 0;
  const customize = r.permissions
    ? Object.values(r.permissions).reduce((n, f) => n + Object.values(f).reduce((m, s) => m + (s.customize?.length ?? 0), 0), 0)
    : 0;
  const levels = r.permissions
    ? `${r.mode}, ${r.enforcement}: ${count(fns, "function")} in ${count(Object.keys(r.permissions).length, "module")}${customize ? `, ${count(customize, "Customize entry", "Customize entries")}` : ""}`
    : "permissions not verified";
  return r.kind === "new"
    ? `new "${r.name}"${r.adopt ? " (adopted if it exists)" : ""}; ${levels}`
    : `existing "${r.name}" (looked up, never changed); ${levels}`;
}

function memberLine(it: ResolvedIntegration): string {
  const m = it.member;
  if (m.kind === "existing") return `existing ${m.identifier} (not managed: only its key is registered)`;
  const refs = [
    m.defaultDepartment && `department ${m.defaultDepartment}`,
    m.defaultLocation && `location ${m.defaultLocation}`,
    m.timeZone && `time zone ${m.timeZone}`,
  ].filter(Boolean);
  return `new API member ${m.identifier} "${m.name}"${refs.length ? ` (${refs.join(", ")})` : ""}${m.adopt ? ", adopted if it exists" : ""}`;
}

function keyLine(it: ResolvedIntegration, stack: ResolvedStack): string {
  const k = it.key;
  const where = `"${k.description}" on ${it.member.identifier}`;
  const verify = it.role?.permissions && k.verifyPermissions ? ", access verified against the role" : "";
  if (k.publicKey !== undefined) return `${where}: handed over at ${k.configPath}${k.privateKey instanceof Secure ? " (private key secret)" : ""}${verify}`;
  return `${where}: awaiting hand-over (pulumi config set --stack ${stack.stack} --path '${k.configPath}.publicKey' …)${verify}`;
}

export function main(argv: string[], write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): number {
  const files = argv.filter((a) => a !== "--");
  if (files.length === 0 || files.some((f) => f === "-h" || f === "--help")) {
    write("usage: npm run check-config -- Pulumi.<tenant>.yaml [more stack files]");
    return 2;
  }
  let ok = true;
  for (const file of files) {
    let result: CheckResult;
    try {
      result = checkStackFile(file);
    } catch (e) {
      result = { ok: false, problems: [String((e as Error).message)], output: [`${file}: ${(e as Error).message}`] };
    }
    result.output.forEach(write);
    ok &&= result.ok;
  }
  return ok ? 0 : 1;
}

export { problemPath };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
