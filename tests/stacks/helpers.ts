// Helpers for the stack tests: a stack file as the config Pulumi would hand the program, and a run
// of the program under pulumi.runtime.setMocks that records every registration with its
// dependencies and options, and the stack outputs with their secret markers.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

export const ROOT = path.resolve(__dirname, "../..");
export const PROJECT = "cw-manage-provisioner";
export const FIXTURES = path.join(ROOT, "tests", "fixtures", "stacks");
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** What `secure: <ciphertext>` decrypts to in these tests. */
export const decrypted = (ciphertext: string) => `plain(${ciphertext})`;

/**
 * A stack file's config as the language host passes it to a program: "ns:key" -> string, objects
 * as JSON, `secure:` values decrypted, and the keys holding a secret listed.
 */
export function programConfigFromFile(file: string): { config: Record<string, string>; secretKeys: string[] } {
  const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, raw] of Object.entries(doc.config)) {
    let secret = false;
    const open = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(open);
      if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (Object.keys(o).length === 1 && typeof o.secure === "string") {
          secret = true;
          return decrypted(o.secure);
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, open(x)]));
      }
      return v;
    };
    const value = open(raw);
    config[key] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value ?? "");
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys };
}

export function isSecretWrapped(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

export interface Registration {
  type: string;
  name: string;
  urn: string;
  /** As the mocks saw them: secrets sig-wrapped. */
  inputs: Record<string, unknown>;
  /** Names of the resources this one depends on (dependsOn and property dependencies). */
  dependsOn: string[];
  additionalSecretOutputs: string[];
}

export interface MockRun {
  registrations: Registration[];
  /** Stack outputs as registered: nested secrets sig-wrapped. */
  outputs: Record<string, unknown>;
}

const nameOfUrn = (urn: string) => urn.split("::").pop()!;

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function runUnderMocks(
  program: () => unknown,
  opts: {
    stack: string;
    config: Record<string, string>;
    secretKeys: string[];
    state: (type: string, inputs: Record<string, any>) => Record<string, unknown>;
  },
): Promise<MockRun> {
  const stateMod = require("@pulumi/pulumi/runtime/state");
  const settings = require("@pulumi/pulumi/runtime/settings");
  return stateMod.withLocalStorage(async (): Promise<MockRun> => {
    const registrations: Registration[] = [];
    let currentReq: any;
    let outputs: Record<string, unknown> = {};
    let ids = 0;
    await pulumi.runtime.setMocks(
      {
        call: (args) => {
          throw new Error(`no invoke expected: ${args.token}`);
        },
        newResource: async (args) => {
          const req = currentReq;
          currentReq = undefined;
          const ok = req && req.getType() === args.type && req.getName() === args.name;
          registrations.push({
            type: args.type,
            name: args.name,
            urn: ok ? req.__urn : "",
            inputs: args.inputs,
            dependsOn: ok ? (req.getDependenciesList() as string[]).map(nameOfUrn).sort() : [],
            additionalSecretOutputs: ok ? req.getAdditionalsecretoutputsList() : [],
          });
          return { id: `${args.name}-id-${++ids}`, state: opts.state(args.type, args.inputs) };
        },
      },
      PROJECT,
      opts.stack,
      false,
    );
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
      req.__urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
      currentReq = req;
      return register(req, cb);
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, cb: any) => {
      if (req.getUrn().split("::")[2] === "pulumi:pulumi:Stack") outputs = req.getOutputs()?.toJavaScript() ?? {};
      return registerOutputs(req, cb);
    };
    // A program that throws rejects the stack's own outputs promise as well: keep that echo from
    // surfacing as an unhandled rejection after the run.
    // (The test runner's own listener is set aside meanwhile, as Pulumi's language host would.)
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    const runnerListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onUnhandled);
    let failed = false;
    try {
      await pulumi.runtime.runInPulumiStack(async () => program());
      await settings.waitForRPCs();
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      await new Promise((r) => setTimeout(r, failed ? 100 : 0));
      process.off("unhandledRejection", onUnhandled);
      for (const l of runnerListeners) process.on("unhandledRejection", l);
    }
    if (unhandled.length > 0) throw unhandled[0];
    return { registrations, outputs };
  });
}

/** The program as Pulumi runs `main`: the module's exports are the stack outputs. */
export function indexProgram(): () => unknown {
  return () => {
    const file = require.resolve(path.join(ROOT, "stacks", "index.ts"));
    delete require.cache[file];
    return require(file);
  };
}

/** Unwraps sig-wrapped secrets, listing the paths that were secret. */
export function unwrapSecrets(v: unknown, at = "", found: string[] = []): { value: unknown; secretPaths: string[] } {
  const walk = (x: unknown, p: string): unknown => {
    if (isSecretWrapped(x)) {
      found.push(p);
      return walk(x.value, p);
    }
    if (Array.isArray(x)) return x.map((y, i) => walk(y, `${p}[${i}]`));
    if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y, p ? `${p}.${k}` : k)]));
    return x;
  };
  return { value: walk(v, at), secretPaths: found };
}
