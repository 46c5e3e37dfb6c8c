// A tenant stack to run end to end without the CLI: the emulator, the real dynamic-provider
// host, the harness engine, and the program (stacks/index.ts) with Pulumi.dev.yaml's config
// pointed at the emulator. Shared by the e2e tests, the secret-hygiene test and the benchmark.
import assert from "node:assert/strict";
import * as path from "node:path";
import { startEmulator, RunningEmulator } from "../emulator/server";
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
  /** The stack as the admin play reads it (from the same config the program gets). */
  resolved(): ResolvedStack;
  stop(): Promise<void>;
}

export async function world(
  edit: (integrations: Record<string, unknown>[]) => void = () => undefined,
  extra: Record<string, string> = {},
  opts: { latencyMs?: number } = {},
): Promise<World> {
  process.env.CWMANAGE_QUIET = "1";
  const emu = await startEmulator({ port: 0, latencyMs: opts.latencyMs });
  const con = new EmulatorConsole(emu.url, emu.consoleToken);
  // Provider credentials as stack config (cwmanage:*), what the sandbox passes as CWMANAGE_*.
  const provider = {
    "cwmanage:site": emu.url,
    "cwmanage:companyId": emu.admin.companyId,
    "cwmanage:publicKey": emu.admin.publicKey,
    "cwmanage:privateKey": emu.admin.privateKey,
    "cwmanage:clientId": emu.admin.clientId,
  };
  const host = await startProviderHost({ cwd: ROOT, project: PROJECT, env: { CWMANAGE_QUIET: "1" } });
  const engine = new Engine({ host, project: PROJECT, stack: STACK, config: provider, secretConfigKeys: ["cwmanage:privateKey"] });
  const file = programConfigFromFile(path.join(ROOT, "Pulumi.dev.yaml"));
  const integrations = JSON.parse(file.config["cw-manage-provisioner:integrations"]) as Record<string, unknown>[];
  edit(integrations);
  const config = { ...file.config, ...provider, "cw-manage-provisioner:integrations": JSON.stringify(integrations), ...extra };
  const secretKeys = [...file.secretKeys, "cwmanage:privateKey"];
  return {
    emu,
    con,
    host,
    engine,
    config,
    secretKeys,
    up: () => runProgramThroughEngine(indexProgram(), { project: PROJECT, stack: STACK, config, secretKeys, engine, mode: "up" }),
    resolved: () => {
      const v = validateStack(fromPulumiConfig(config, secretKeys, { project: PROJECT, stack: STACK, env: {} }));
      assert.deepEqual(v.problems, []);
      return v.stack!;
    },
    async stop() {
      await host.stop();
      await emu.close();
    },
  };
}

/** The admin's part for every integration, as `npm run sandbox -- admin` does it; the hand-over sets config. */
export async function playAdmin(w: World, outputs: Record<string, unknown>): Promise<string[]> {
  const done: string[] = [];
  for (const it of w.resolved().integrations) {
    const plan = planAdminPlay(it, outputs[it.name] as IntegrationStatus, STACK);
    assert.deepEqual(plan.manual, [], "every checklist line is something the console can do");
    done.push(...(await carryOut(plan, w.con, w.emu.admin.companyId, async (commands) => {
      for (const args of commands) applyConfigSet(w.config, w.secretKeys, PROJECT, args);
    })));
  }
  return done;
}

