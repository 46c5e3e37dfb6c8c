// A tenant stack to run end to end without the CLI: the emulator, the real dynamic-provider
// host, the harness engine, and the program (stacks/index.ts) with Pulumi.dev.yaml's config
// pointed at the emulator. Shared by the e2e tests, the secret-hygiene test and the benchmark.
import assert from "node:assert/strict";
import * as path from "node:path";
import { startEmulator, EmulatorCredentials, RunningEmulator } from "../emulator/server";
import { EmulatorConsole } from "../emulator/console-client";
import { startProviderHost, ProviderHost } from "../harness/provider-host";
import { Engine, runProgramThroughEngine, ProgramRunResult } from "../harness/engine";
import { applyConfigSet, carryOut, planAdminPlay, IntegrationStatus } from "../../stacks/admin-play";
import { ResolvedStack, validateStack, fromPulumiConfig } from "../../stacks/schema";
import { PROJECT, ROOT, indexProgram, programConfigFromFile } from "../stacks/helpers";

const STACK = "dev";

export interface World {
  emu: RunningEmulator;
  con: EmulatorConsole;
  host: ProviderHost;
  engine: Engine;
  /** The program's config: Pulumi.dev.yaml with the emulator's URL and admin keys. */
  config: Record<string, string>;
  secretKeys: string[];
  up(): Promise<ProgramRunResult>;
  /** As a new `pulumi` command does: a fresh provider host process, the same state. */
  restartHost(): Promise<void>;
  /** The stack as the admin play reads it (from the same config the program gets). */
  resolved(): ResolvedStack;
  stop(): Promise<void>;
}

export async function world(
  edit: (integrations: Record<string, unknown>[]) => void = () => undefined,
  extra: Record<string, string> = {},
  /** Another tenant of an emulator already running (its admin's credentials), for fleets. */
  opts: { latencyMs?: number; shared?: { emu: RunningEmulator; admin: EmulatorCredentials } } = {},
): Promise<World> {
  process.env.CWMANAGE_QUIET = "1";
  const emu = opts.shared?.emu ?? (await startEmulator({ port: 0, latencyMs: opts.latencyMs }));
  const admin = opts.shared?.admin ?? emu.admin;
  const con = new EmulatorConsole(emu.url, emu.consoleToken);
  // Provider credentials as stack config (cwmanage:*), what the sandbox passes as CWMANAGE_*.
  const provider = {
    "cwmanage:site": emu.url,
    "cwmanage:companyId": admin.companyId,
    "cwmanage:publicKey": admin.publicKey,
    "cwmanage:privateKey": admin.privateKey,
    "cwmanage:clientId": admin.clientId,
  };
  const file = programConfigFromFile(path.join(ROOT, "Pulumi.dev.yaml"));
  const integrations = JSON.parse(file.config["cw-manage-provisioner:integrations"]) as Record<string, unknown>[];
  edit(integrations);
  const config = { ...file.config, ...provider, "cw-manage-provisioner:integrations": JSON.stringify(integrations), ...extra };
  const secretKeys = [...file.secretKeys, "cwmanage:privateKey"];
  const startEngine = async (state?: Engine["state"]): Promise<{ host: ProviderHost; engine: Engine }> => {
    const host = await startProviderHost({ cwd: ROOT, project: PROJECT, env: { CWMANAGE_QUIET: "1" } });
    const engine = new Engine({ host, project: PROJECT, stack: STACK, config: provider, secretConfigKeys: ["cwmanage:privateKey"] });
    for (const [urn, resource] of state ?? []) engine.state.set(urn, resource);
    return { host, engine };
  };
  const w: World = {
    emu,
    con,
    ...(await startEngine()),
    config,
    secretKeys,
    up: () => runProgramThroughEngine(indexProgram(), { project: PROJECT, stack: STACK, config, secretKeys, engine: w.engine, mode: "up" }),
    async restartHost() {
      await w.host.stop();
      Object.assign(w, await startEngine(w.engine.state));
    },
    resolved: () => {
      const v = validateStack(fromPulumiConfig(config, secretKeys, { project: PROJECT, stack: STACK, env: {} }));
      assert.deepEqual(v.problems, []);
      return v.stack!;
    },
    async stop() {
      await w.host.stop();
      if (!opts.shared) await emu.close();
    },
  };
  return w;
}

/** The admin's part for every integration, as `npm run sandbox -- admin` does it; the hand-over sets config. */
export async function playAdmin(w: World, outputs: Record<string, unknown>): Promise<string[]> {
  const done: string[] = [];
  for (const it of w.resolved().integrations) {
    const plan = planAdminPlay(it, outputs[it.name] as IntegrationStatus, STACK);
    assert.deepEqual(plan.manual, [], "every checklist line is something the console can do");
    done.push(...(await carryOut(plan, w.con, String(w.config["cwmanage:companyId"]), async (commands) => {
      for (const args of commands) applyConfigSet(w.config, w.secretKeys, PROJECT, args);
    })));
  }
  return done;
}

