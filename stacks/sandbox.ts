// npm run sandbox [-- up | admin | stop | reset | help]
//
// The local sandbox: the `dev` stack (Pulumi.dev.yaml) against a tenant in the Manage emulator.
//   up (default)  start the emulator (in the background, state in .sandbox/), select or create the
//                 dev stack in a local backend (.pulumi-state/, passphrase "sandbox") and run
//                 `pulumi up`; then print each integration's checklist
//   admin         play the admin: carry out the checklist in the emulator's console (the stand-in
//                 for the Manage UI), create the member's API key and hand it over with
//                 `pulumi config set --path [--secret] …`; the next `npm run sandbox` is all green
//   stop          stop the emulator
//   reset         stop it and forget everything: .sandbox/, .pulumi-state/, and the sandbox's
//                 additions to Pulumi.dev.yaml (encryptionsalt, apiKeys)
// The Pulumi CLI is yours to install; this script never downloads it.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { EmulatorConsole } from "../tests/emulator/console-client";
import { AdminPlan, IntegrationStatus, carryOut, planAdminPlay } from "./admin-play";
import { checkStackFile } from "./check-config";
import { ResolvedStack, validateStack } from "./schema";
import { readStackFile } from "./stack-file";

export const ROOT = path.resolve(__dirname, "..");
export const STACK = "dev";
/** The sandbox stack's passphrase: documented, because nothing in the sandbox is a real secret. */
export const SANDBOX_PASSPHRASE = "sandbox";

export interface SandboxPaths {
  root: string;
  devFile: string;
  dir: string;
  state: string;
  log: string;
  info: string;
  backend: string;
}

export function sandboxPaths(root = ROOT): SandboxPaths {
  const dir = path.join(root, ".sandbox");
  return {
    root,
    devFile: path.join(root, "Pulumi.dev.yaml"),
    dir,
    state: path.join(dir, "emulator-state.json"),
    log: path.join(dir, "emulator.log"),
    info: path.join(dir, "emulator.json"),
    backend: path.join(root, ".pulumi-state"),
  };
}

export const INSTALL_HELP = [
  "The Pulumi CLI was not found on PATH (nor in ~/.pulumi/bin). The sandbox runs your own CLI; install it with one of:",
  "  curl -fsSL https://get.pulumi.com | sh        # Linux, macOS (then open a new shell, or add ~/.pulumi/bin to PATH)",
  "  brew install pulumi/tap/pulumi                # macOS with Homebrew",
  "  winget install pulumi                         # Windows",
  "then run npm run sandbox again. (npm run check-config -- Pulumi.dev.yaml works without it.)",
].join("\n");

/** The pulumi executable, or undefined. */
export function findPulumi(env: Record<string, string | undefined> = process.env): string | undefined {
  const names = process.platform === "win32" ? ["pulumi.exe", "pulumi.cmd", "pulumi"] : ["pulumi"];
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const home = env.HOME ?? env.USERPROFILE;
  if (home) dirs.push(path.join(home, ".pulumi", "bin"));
  for (const dir of dirs) {
    for (const name of names) {
      const p = path.join(dir, name);
      try {
        if (fs.statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Where the emulator listens and which company is the tenant, from Pulumi.dev.yaml. */
export function sandboxTarget(devFile: string): { site: string; port: number; companyId: string } {
  const config = (parseDocument(fs.readFileSync(devFile, "utf8")).toJS() as { config?: Record<string, unknown> } | null)?.config ?? {};
  const site = String(config["cwmanage:site"] ?? "");
  const companyId = String(config["cwmanage:companyId"] ?? "");
  let url: URL;
  try {
    url = new URL(site);
  } catch {
    throw new Error(`Pulumi.dev.yaml: cwmanage:site must be the emulator's URL, e.g. http://127.0.0.1:8471 (got "${site}")`);
  }
  if (url.protocol !== "http:" || !["127.0.0.1", "localhost"].includes(url.hostname) || !url.port) {
    throw new Error(`Pulumi.dev.yaml: cwmanage:site must be http://127.0.0.1:<port> for the sandbox (got "${site}")`);
  }
  if (!companyId) throw new Error("Pulumi.dev.yaml: cwmanage:companyId is not set (the sandbox uses \"sandbox\")");
  return { site: url.origin, port: Number(url.port), companyId };
}

export interface EmulatorInfo {
  pid: number;
  url: string;
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
  memberIdentifier: string;
  consoleToken: string;
}

/** The environment pulumi runs in: the local backend, the sandbox passphrase, the emulator's admin keys. */
export function pulumiEnv(
  base: Record<string, string | undefined>,
  emu: Pick<EmulatorInfo, "publicKey" | "privateKey" | "clientId">,
  paths: Pick<SandboxPaths, "backend">,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return {
    ...env,
    PULUMI_BACKEND_URL: `file://${paths.backend.split(path.sep).join("/")}`,
    PULUMI_CONFIG_PASSPHRASE: SANDBOX_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    CWMANAGE_PUBLIC_KEY: emu.publicKey,
    CWMANAGE_PRIVATE_KEY: emu.privateKey,
    CWMANAGE_CLIENT_ID: emu.clientId,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function responds(url: string, companyId: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/login/companyinfo/${encodeURIComponent(companyId)}`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function readInfo(paths: SandboxPaths): EmulatorInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(paths.info, "utf8")) as EmulatorInfo;
  } catch {
    return undefined;
  }
}

/** Starts the emulator in the background unless the one this script started is still up. */
export async function ensureEmulator(paths: SandboxPaths, log: (l: string) => void): Promise<EmulatorInfo> {
  const target = sandboxTarget(paths.devFile);
  const known = readInfo(paths);
  if (known && alive(known.pid) && known.url === target.site && (await responds(known.url, target.companyId))) return known;
  if (await responds(target.site, target.companyId)) {
    throw new Error(`something already answers on ${target.site} but it is not the emulator this script started; stop it or change the port in Pulumi.dev.yaml`);
  }
  fs.mkdirSync(paths.dir, { recursive: true });
  const out = fs.openSync(paths.log, "w");
  const child = spawn(
    process.execPath,
    ["--require", "ts-node/register", path.join(ROOT, "tests", "emulator", "main.ts"), "--port", String(target.port), "--state", paths.state, "--company", target.companyId],
    { cwd: ROOT, detached: true, stdio: ["ignore", out, out], env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } },
  );
  child.unref();
  fs.closeSync(out);
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? 1));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const first = fs.readFileSync(paths.log, "utf8").split("\n")[0];
    if (first.startsWith("{")) {
      const creds = JSON.parse(first) as Omit<EmulatorInfo, "pid">;
      const info: EmulatorInfo = { ...creds, pid: child.pid! };
      fs.writeFileSync(paths.info, JSON.stringify(info, null, 2), { mode: 0o600 });
      log(`emulator started: ${info.url} (pid ${info.pid}, company ${info.companyId}, state ${path.relative(paths.root, paths.state)})`);
      return info;
    }
    if (exited !== null) throw new Error(`the emulator exited (${exited}):\n${fs.readFileSync(paths.log, "utf8")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the emulator did not start within 30 s; see ${paths.log}`);
}

export function stopEmulator(paths: SandboxPaths, log: (l: string) => void): void {
  const info = readInfo(paths);
  if (info && alive(info.pid)) {
    process.kill(info.pid, "SIGTERM");
    log(`emulator stopped (pid ${info.pid})`);
  } else log("the emulator is not running");
  if (fs.existsSync(paths.info)) fs.rmSync(paths.info);
}

/** Pulumi.dev.yaml without what the sandbox added (encryptionsalt, the handed-over key); comments kept. */
export function withoutSandboxAdditions(source: string, project: string): string {
  const doc = parseDocument(source);
  doc.delete("encryptionsalt");
  doc.deleteIn(["config", `${project}:apiKeys`]);
  return doc.toString({ flowCollectionPadding: false });
}

interface Io {
  log: (l: string) => void;
  env: Record<string, string | undefined>;
  paths: SandboxPaths;
}

function run(pulumi: string, args: string[], env: Record<string, string>, root: string, capture = false): { status: number; stdout: string } {
  const r = spawnSync(pulumi, args, { cwd: root, env, stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit", encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, stdout: capture ? r.stdout : "" };
}

function devStack(io: Io): ResolvedStack | undefined {
  const check = checkStackFile(io.paths.devFile);
  if (!check.ok) {
    check.output.forEach(io.log);
    return undefined;
  }
  return validateStack(readStackFile(io.paths.devFile).input).stack;
}

function outputsOf(pulumi: string, env: Record<string, string>, root: string): Record<string, IntegrationStatus> | undefined {
  const r = run(pulumi, ["stack", "output", "--json", "--stack", STACK], env, root, true);
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as Record<string, IntegrationStatus>;
  } catch {
    return undefined;
  }
}

/** The checklist after an up, one block per integration. */
export function checklist(stack: ResolvedStack, outputs: Record<string, IntegrationStatus>): string[] {
  const lines: string[] = [];
  let green = true;
  for (const it of stack.integrations) {
    const o = outputs[it.name];
    if (!o) {
      lines.push(`${it.name}: no output yet`);
      green = false;
      continue;
    }
    if (o.compliant) lines.push(`${it.name}: compliant (key ${o.fingerprint} verified)`);
    else {
      green = false;
      lines.push(`${it.name}: ${o.actionsRequired?.length ?? 0} action(s) required:`);
      for (const a of o.actionsRequired ?? []) lines.push(`  ${a.startsWith(" ") ? a : `- ${a}`}`);
    }
  }
  lines.push(green ? "All green: every integration is compliant with a verified key." : "Next: npm run sandbox -- admin (plays the admin in the emulator), then npm run sandbox again.");
  return lines;
}

/** What `up` and `admin` both need: the CLI, the dev stack's file, a running emulator, pulumi's env. */
async function prepare(io: Io) {
  const pulumi = findPulumi(io.env);
  if (!pulumi) {
    io.log(INSTALL_HELP);
    return undefined;
  }
  const stack = devStack(io);
  if (!stack) return undefined;
  const emu = await ensureEmulator(io.paths, io.log);
  return { pulumi, stack, emu, env: pulumiEnv(io.env, emu, io.paths) };
}

async function up(io: Io): Promise<number> {
  const ready = await prepare(io);
  if (!ready) return 1;
  const { pulumi, stack, env } = ready;
  fs.mkdirSync(io.paths.backend, { recursive: true });
  io.log(`backend ${env.PULUMI_BACKEND_URL}, passphrase "${SANDBOX_PASSPHRASE}"`);
  if (run(pulumi, ["stack", "select", "--create", "--secrets-provider", "passphrase", STACK], env, io.paths.root).status !== 0) return 1;
  const status = run(pulumi, ["up", "--yes", "--stack", STACK], env, io.paths.root).status;
  const outputs = outputsOf(pulumi, env, io.paths.root);
  if (outputs) checklist(stack, outputs).forEach(io.log);
  return status;
}

async function admin(io: Io): Promise<number> {
  const ready = await prepare(io);
  if (!ready) return 1;
  const { pulumi, stack, emu, env } = ready;
  const outputs = outputsOf(pulumi, env, io.paths.root);
  if (!outputs || Object.keys(outputs).length === 0) {
    io.log("The dev stack has no outputs yet: run npm run sandbox first (its checklist is what the admin carries out).");
    return 1;
  }
  const con = new EmulatorConsole(emu.url, emu.consoleToken);
  let failed = false;
  for (const it of stack.integrations) {
    const plan: AdminPlan = planAdminPlay(it, outputs[it.name] ?? {}, STACK);
    const done = await carryOut(plan, con, emu.companyId, async (commands) => {
      for (const args of commands) {
        const shown = args.map((a, i) => (i === args.length - 1 && args.includes("--secret") ? "<private key>" : a)).join(" ");
        io.log(`$ pulumi ${shown}`);
        if (run(pulumi, args, env, io.paths.root).status !== 0) throw new Error(`pulumi ${args.slice(0, 2).join(" ")} failed`);
      }
    });
    io.log(`${it.name}: ${done.length ? "done as admin:" : "nothing to do"}`);
    done.forEach((l) => io.log(`  - ${l}`));
    for (const m of plan.manual) {
      failed = true;
      io.log(`  ! not automated, do it yourself: ${m}`);
    }
  }
  io.log("Now run npm run sandbox again: it verifies the role and the key.");
  return failed ? 1 : 0;
}

function reset(io: Io): number {
  stopEmulator(io.paths, io.log);
  for (const dir of [io.paths.dir, io.paths.backend]) fs.rmSync(dir, { recursive: true, force: true });
  const source = fs.readFileSync(io.paths.devFile, "utf8");
  const cleaned = withoutSandboxAdditions(source, readStackFile(io.paths.devFile).input.project);
  if (cleaned !== source) fs.writeFileSync(io.paths.devFile, cleaned);
  io.log("sandbox reset: .sandbox/ and .pulumi-state/ removed, Pulumi.dev.yaml back to its declared content");
  return 0;
}

export async function main(
  argv: string[],
  io: Partial<Io> = {},
): Promise<number> {
  const full: Io = { log: io.log ?? ((l) => process.stdout.write(`${l}\n`)), env: io.env ?? process.env, paths: io.paths ?? sandboxPaths() };
  const command = argv.filter((a) => a !== "--")[0] ?? "up";
  try {
    switch (command) {
      case "up":
        return await up(full);
      case "admin":
        return await admin(full);
      case "stop":
        stopEmulator(full.paths, full.log);
        return 0;
      case "reset":
        return reset(full);
      case "help":
      case "--help":
      case "-h":
        full.log("usage: npm run sandbox [-- up | admin | stop | reset]");
        return 0;
      default:
        full.log(`unknown command "${command}"; usage: npm run sandbox [-- up | admin | stop | reset]`);
        return 2;
    }
  } catch (e) {
    full.log(`sandbox: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

