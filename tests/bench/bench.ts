// npm run bench [-- --latency-ms 50 --tenants 50 --concurrency 8]
//
// One tenant with the sync365-license preset (Pulumi.dev.yaml) against the emulator with an
// injected per-request latency, phase by phase, each phase in a fresh provider host process as a
// new `pulumi` command would be; then a fleet of tenants applied with a concurrency limit.
// Counts requests and the longest chain of sequential round trips from the emulator's request
// log; wall time is reported against latency x the phase's lower bound, never asserted.
import { performance } from "node:perf_hooks";
import { EmulatorCredentials, RunningEmulator, startEmulator } from "../emulator/server";
import { EmulatorConsole, ConsoleLog } from "../emulator/console-client";
import { World, playAdmin, world } from "../support/stack-world";
import { longestChain } from "./chain";

interface Phase {
  requests: number;
  chain: number;
  lowerBound: number;
  wallMs: number;
  ratio: number;
}

/**
 * The fewest sequential round trips each phase can take with this design (each phase is a new
 * process, so the first request is codebase discovery, `/login/companyinfo`, unless
 * cwmanage:codebase is set):
 * - firstApply: discovery, role lookup by name, role POST, member lookup and reference lookups
 *   (in parallel), member POST = 5. The permissions read (one settings page) and the key (none
 *   handed over yet: no request) are not on the critical path in principle.
 * - keyVerify (after the admin's part; not in the issue's list): discovery, then the key's
 *   mySecurity, customizeItems and setupScreens and the permissions' settings page in parallel = 2.
 * - noopApply: nothing to learn from the tenant = 0.
 * - refresh: discovery, then every resource read in parallel = 2.
 * - driftFix (`pulumi up --refresh` after a member was renamed in the UI): discovery, the
 *   parallel reads, one PATCH = 3.
 */
const LOWER_BOUND = { firstApply: 5, keyVerify: 2, noopApply: 0, refresh: 2, driftFix: 3 };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

function measure(log: ConsoleLog, companyId: string, lowerBound: number, wallMs: number, latencyMs: number): Phase {
  const mine = log.entries.filter((e) => e.companyId.toLowerCase() === companyId.toLowerCase());
  const chain = longestChain(mine);
  // A phase with no round trip at all is measured against one latency, so the ratio stays finite.
  const ratio = wallMs / (latencyMs * Math.max(lowerBound, 1));
  return { requests: mine.length, chain, lowerBound, wallMs: Math.round(wallMs), ratio: Math.round(ratio * 100) / 100 };
}

async function timed(w: World, companyId: string, lowerBound: number, latencyMs: number, step: () => Promise<unknown>): Promise<Phase> {
  await w.restartHost();
  await w.con.resetLog();
  const started = performance.now();
  await step();
  const wallMs = performance.now() - started;
  return measure(await w.con.log(), companyId, lowerBound, wallMs, latencyMs);
}

async function singleTenant(latencyMs: number): Promise<Record<keyof typeof LOWER_BOUND, Phase>> {
  const w = await world(() => undefined, {}, { latencyMs });
  const co = String(w.config["cwmanage:companyId"]);
  try {
    const firstApply = await timed(w, co, LOWER_BOUND.firstApply, latencyMs, () => w.up());
    const first = await w.up(); // the checklist as outputs (nothing changes: same as firstApply's result)
    await playAdmin(w, first.outputs);
    const keyVerify = await timed(w, co, LOWER_BOUND.keyVerify, latencyMs, () => w.up());
    const noopApply = await timed(w, co, LOWER_BOUND.noopApply, latencyMs, () => w.up());
    const refresh = await timed(w, co, LOWER_BOUND.refresh, latencyMs, () => w.engine.refresh());
    const member = [...w.engine.state.values()].find((s) => s.type.endsWith(":ApiMember"))!;
    await w.con.patchMember(co, Number(member.id), { name: "Renamed in the UI" });
    const driftFix = await timed(w, co, LOWER_BOUND.driftFix, latencyMs, async () => {
      await w.engine.refresh();
      await w.up();
    });
    return { firstApply, keyVerify, noopApply, refresh, driftFix };
  } finally {
    await w.stop();
  }
}

interface FleetRun {
  tenants: number;
  concurrency: number;
  tenantsPerMinute: number;
  requestsPerTenant: number;
  maxInFlightPerTenant: number;
}

/** N tenants, each a first apply in its own provider host, at most `concurrency` at once. */
async function fleet(emu: RunningEmulator, tenants: number, concurrency: number): Promise<FleetRun> {
  const con = new EmulatorConsole(emu.url, emu.consoleToken);
  const admins: EmulatorCredentials[] = [];
  for (let i = 0; i < tenants; i++) admins.push(await con.addCompany());
  await con.resetLog();
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < admins.length) {
      const admin = admins[next++];
      const w = await world(() => undefined, {}, { shared: { emu, admin } });
      try {
        await w.up();
      } finally {
        await w.stop();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tenants) }, worker));
  const minutes = (performance.now() - started) / 60_000;
  const log = await con.log();
  return {
    tenants,
    concurrency,
    tenantsPerMinute: Math.round((tenants / minutes) * 10) / 10,
    requestsPerTenant: Math.round((log.total / tenants) * 10) / 10,
    maxInFlightPerTenant: Math.max(0, ...Object.values(log.maxInFlight)),
  };
}

function table(rows: Array<Record<string, unknown>>): string {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i])).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join("\n");
}

async function main(): Promise<void> {
  const latencyMs = arg("latency-ms", 50);
  const tenants = arg("tenants", 50);
  const concurrency = arg("concurrency", 8);
  process.env.CWMANAGE_QUIET = "1";

  const phases = await singleTenant(latencyMs);
  console.log(`One tenant, sync365-license preset, ${latencyMs} ms per request (each phase a new provider process):\n`);
  console.log(table(Object.entries(phases).map(([phase, p]) => ({ phase, ...p }))));

  const emu = await startEmulator({ port: 0, latencyMs });
  const levels = [...new Set([1, Math.max(1, Math.floor(concurrency / 2)), concurrency])].sort((a, b) => a - b);
  const runs: FleetRun[] = [];
  try {
    for (const c of levels) runs.push(await fleet(emu, c === concurrency ? tenants : Math.min(tenants, Math.max(c * 3, 6)), c));
  } finally {
    await emu.close();
  }
  console.log(`\nFleet: first apply of each tenant in its own provider process, at most C tenants at once:\n`);
  console.log(table(runs.map((r) => ({ ...r }))));
  const main = runs[runs.length - 1];
  const { keyVerify, ...issuePhases } = phases;
  console.log(
    JSON.stringify({
      latencyMs,
      phases: issuePhases,
      extraPhases: { keyVerify },
      fleet: { tenants: main.tenants, concurrency: main.concurrency, tenantsPerMinute: main.tenantsPerMinute, requestsPerTenant: main.requestsPerTenant },
      fleetScaling: runs.map((r) => ({ concurrency: r.concurrency, tenants: r.tenants, tenantsPerMinute: r.tenantsPerMinute })),
      machine: { cpus: require("node:os").cpus().length, node: process.version },
    }),
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
