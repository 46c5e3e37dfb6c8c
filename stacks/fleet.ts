// Many tenants without GitHub: Pulumi's Automation API over every Pulumi.<tenant>.yaml (dev, the
// sandbox, excluded), a few at a time.
//
//   npx ts-node -T stacks/fleet.ts [preview | up | drift] [--concurrency 4] [--only acme,contoso]
//
// preview = `pulumi preview --diff`, up = `pulumi up`, drift = `pulumi preview --refresh
// --expect-no-changes` (fails on drift). The Automation API drives the Pulumi CLI, so the CLI must
// be installed. Each tenant gets its own secrets from the environment, named like the CI
// workflow's: PULUMI_CONFIG_PASSPHRASE_<TENANT> (else PULUMI_CONFIG_PASSPHRASE) and the optional
// CWMANAGE_PUBLIC_KEY_<TENANT>, CWMANAGE_PRIVATE_KEY_<TENANT>, CWMANAGE_CLIENT_ID_<TENANT>
// (else CWMANAGE_CLIENT_ID), where <TENANT> is the stack name in capitals with every other
// character as "_" (acme-east -> ACME_EAST). PULUMI_BACKEND_URL selects the shared backend.
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { checkStackFile } from "./check-config";
import { INSTALL_HELP, findPulumi } from "./sandbox";

export const ROOT = path.resolve(__dirname, "..");
export type Command = "preview" | "up" | "drift";

/** Tenant stacks: every Pulumi.<stack>.yaml next to Pulumi.yaml but the sandbox's. */
export function discoverStacks(dir = ROOT): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && s !== "dev")
    .sort();
}

/** The suffix of a tenant's secret names: ACME_EAST for acme-east. */
export function secretSuffix(stack: string): string {
  return stack.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** The environment one tenant's run sees: its own passphrase and CWMANAGE_* overrides. */
export function tenantEnv(stack: string, env: Record<string, string | undefined> = process.env): Record<string, string> {
  const s = secretSuffix(stack);
  const out: Record<string, string> = {};
  const pick = (name: string, fallback?: string) => {
    const v = env[`${name}_${s}`] ?? (fallback !== undefined ? env[fallback] : undefined);
    if (v !== undefined && v !== "") out[name] = v;
  };
  pick("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE");
  pick("CWMANAGE_PUBLIC_KEY");
  pick("CWMANAGE_PRIVATE_KEY");
  pick("CWMANAGE_CLIENT_ID", "CWMANAGE_CLIENT_ID");
  return out;
}

/** Runs `work` over `items`, at most `limit` at a time; every item runs even when some fail. */
export async function runLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await work(items[i]) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function runStack(stackName: string, command: Command, workDir: string, log: (l: string) => void): Promise<string> {
  // Each tenant is a separate CLI process (a local program in workDir), so runs do not share state.
  const stack = await LocalWorkspace.selectStack({ stackName, workDir }, { envVars: tenantEnv(stackName) });
  const onOutput = (out: string) => out.split("\n").filter(Boolean).forEach((l) => log(`[${stackName}] ${l}`));
  if (command === "up") {
    const r = await stack.up({ onOutput, diff: true });
    const outs = Object.entries(r.outputs).map(([name, o]) => {
      const v = o.value as { compliant?: boolean; actionsRequired?: string[] } | undefined;
      return v?.compliant ? `${name} compliant` : `${name}: ${v?.actionsRequired?.length ?? "?"} action(s) required`;
    });
    return `${r.summary.result}; ${outs.join(", ")}`;
  }
  const r = await stack.preview({ onOutput, diff: true, ...(command === "drift" ? { refresh: true, expectNoChanges: true } : {}) });
  return Object.entries(r.changeSummary).map(([op, n]) => `${op} ${n}`).join(", ");
}

export function parseArgs(argv: string[]): { command: string; concurrency: number; only?: string[] } {
  let command = "preview";
  let concurrency = 4;
  let only: string[] | undefined;
  const args = argv.filter((a) => a !== "--");
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--concurrency") concurrency = Number(args[++i]);
    else if (args[i] === "--only") only = (args[++i] ?? "").split(",").filter(Boolean);
    else command = args[i];
  }
  return { command, concurrency, only };
}

export async function main(
  argv: string[],
  opts: { log?: (l: string) => void; dir?: string; env?: Record<string, string | undefined> } = {},
): Promise<number> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const { command: given, concurrency, only } = parseArgs(argv);
  if (!["preview", "up", "drift"].includes(given) || !Number.isInteger(concurrency) || concurrency < 1) {
    log("usage: ts-node -T stacks/fleet.ts [preview | up | drift] [--concurrency 4] [--only a,b]");
    return 2;
  }
  const command = given as Command;
  const dir = opts.dir ?? ROOT;
  const stacks = discoverStacks(dir).filter((s) => !only || only.includes(s));
  if (stacks.length === 0) {
    log("no tenant stack (Pulumi.<tenant>.yaml) found");
    return 1;
  }
  if (!findPulumi(opts.env)) {
    log(INSTALL_HELP);
    return 1;
  }
  // Offline first: a broken stack file is not worth a CLI run.
  const broken = stacks.filter((s) => {
    const r = checkStackFile(path.join(dir, `Pulumi.${s}.yaml`));
    if (!r.ok) r.output.forEach(log);
    return !r.ok;
  });
  const runnable = stacks.filter((s) => !broken.includes(s));
  const results = await runLimited(runnable, concurrency, (s) => runStack(s, command, dir, log));
  log(`\n${command}: ${stacks.length} tenant(s), at most ${concurrency} at a time`);
  let failed = broken.length;
  for (const s of broken) log(`  ✗ ${s}: the stack file has problems (see above)`);
  results.forEach((r, i) => {
    if (r.status === "fulfilled") log(`  ✓ ${runnable[i]}: ${r.value}`);
    else {
      failed++;
      log(`  ✗ ${runnable[i]}: ${(r.reason as Error).message.split("\n").slice(-3).join(" ")}`);
    }
  });
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
