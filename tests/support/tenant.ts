// A tenant to test against: the emulator on loopback, the real dynamic-provider host, and the
// harness engine configured with the emulator admin's keys as stack config, as `pulumi up` would be.
import * as path from "node:path";
import { startEmulator, RunningEmulator } from "../emulator/server";
import { EmulatorConsole } from "../emulator/console-client";
import { startProviderHost, serializeProvider, ProviderHost } from "../harness/provider-host";
import { DesiredResource, Engine } from "../harness/engine";

export const PROJECT = "cw-manage-provisioner";
export const STACK = "test";
export const ROOT = path.resolve(__dirname, "../..");

export interface Tenant {
  emu: RunningEmulator;
  console: EmulatorConsole;
  host: ProviderHost;
  engine: Engine;
  companyId: string;
  config: Record<string, string>;
  /** A desired resource of one of our providers, with its serialized text as `__provider`. */
  desired(type: string, name: string, provider: object, inputs: Record<string, unknown>, extra?: Partial<DesiredResource>): Promise<DesiredResource>;
  /** Count of API requests (not console) since the last reset, by method. */
  writes(): Promise<number>;
  stop(): Promise<void>;
}

const texts = new WeakMap<object, Promise<string>>();

export function providerText(provider: object): Promise<string> {
  if (!texts.has(provider)) texts.set(provider, serializeProvider(provider));
  return texts.get(provider)!;
}

export async function startTenant(opts: { latencyMs?: number; extraConfig?: Record<string, string> } = {}): Promise<Tenant> {
  process.env.CWMANAGE_QUIET = "1";
  const emu = await startEmulator({ port: 0, latencyMs: opts.latencyMs });
  const config: Record<string, string> = {
    "cwmanage:site": emu.url,
    "cwmanage:companyId": emu.admin.companyId,
    "cwmanage:publicKey": emu.admin.publicKey,
    "cwmanage:privateKey": emu.admin.privateKey,
    "cwmanage:clientId": emu.admin.clientId,
    "cwmanage:retryBaseMs": "5",
    "cwmanage:retryMaxMs": "50",
    ...opts.extraConfig,
  };
  const host = await startProviderHost({ cwd: ROOT, project: PROJECT, env: { CWMANAGE_QUIET: "1" } });
  const engine = new Engine({ host, project: PROJECT, stack: STACK, config, secretConfigKeys: ["cwmanage:privateKey"] });
  const con = new EmulatorConsole(emu.url, emu.consoleToken);
  return {
    emu,
    console: con,
    host,
    engine,
    companyId: emu.admin.companyId,
    config,
    async desired(type, name, provider, inputs, extra = {}) {
      return { type: `pulumi-nodejs:dynamic/cwmanage:${type}`, name, inputs: { __provider: await providerText(provider), ...inputs }, ...extra };
    },
    async writes() {
      const log = await con.log();
      return log.entries.filter((e) => e.method !== "GET").length;
    },
    async stop() {
      await host.stop();
      await emu.close();
    },
  };
}
