// Drives the real Pulumi Node.js dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`) over gRPC,
// sending the requests the Pulumi engine sends. See /work/shared/reference/pulumi-dynamic.md §2, §7.
import { spawn, ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import * as pulumi from "@pulumi/pulumi";

/* eslint-disable @typescript-eslint/no-explicit-any */
// Everything gRPC/protobuf is loaded from @pulumi/pulumi's own resolution so the client, the generated
// service definitions and the message classes are the very modules the host uses (one grpc-js, one
// google-protobuf: the generated serializers check `instanceof`).
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (id: string): any => require(require.resolve(id, { paths: [pulumiDir] }));
const grpc = fromPulumi("@grpc/grpc-js");
const structpb = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const provgrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provpb = require("@pulumi/pulumi/proto/provider_pb");
const statuspb = require("@pulumi/pulumi/proto/status_pb");

/** The engine's marker for secret values on the wire (and in mocks' inputs). */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The engine's marker for unknown (computed) values on the wire. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type PropertyMap = Record<string, unknown>;

export interface InitFailure {
  id: string;
  properties: PropertyMap;
  reasons: string[];
}

/** A failed RPC, as the engine would report it to the user. */
export class HostError extends Error {
  constructor(
    /** The gRPC status code (2 = UNKNOWN for anything a provider method throws). */
    public readonly code: number,
    /** The host's `details` text: what the CLI shows the user. */
    message: string,
    public readonly rpc: string,
    /** Set when the host packed `ErrorResourceInitFailed` (an error with `.id` thrown from create/update). */
    public readonly initFailure?: InitFailure,
  ) {
    super(message);
    this.name = "HostError";
  }
}

export type DiffChanges = "none" | "some" | "unknown";
export interface DiffResponse {
  changes: DiffChanges;
  replaces: string[];
  deleteBeforeReplace: boolean;
}
export interface CheckResponse {
  inputs: PropertyMap;
  failures: { property: string; reason: string }[];
}

export interface ProviderHost {
  readonly port: number;
  readonly pid: number;
  /** Every stdout/stderr line after the port line (provider console output, host error traces). */
  readonly output: string[];
  /** True once `configure` has been called on this host process. */
  readonly configured: boolean;
  /** Resolves once `line` was printed: a provider's stdout may arrive after its gRPC reply. */
  waitForOutput(line: string, timeoutMs?: number): Promise<void>;
  configure(config: Record<string, string>, secretKeys?: string[]): Promise<void>;
  check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResponse>;
  diff(id: string, urn: string, olds: PropertyMap, news: PropertyMap, oldInputs?: PropertyMap): Promise<DiffResponse>;
  create(urn: string, properties: PropertyMap): Promise<{ id: string; properties: PropertyMap }>;
  read(
    id: string,
    urn: string,
    properties: PropertyMap,
    inputs?: PropertyMap,
  ): Promise<{ id: string; properties: PropertyMap; inputs?: PropertyMap }>;
  update(id: string, urn: string, olds: PropertyMap, news: PropertyMap, oldInputs?: PropertyMap): Promise<{ properties: PropertyMap }>;
  delete(id: string, urn: string, properties: PropertyMap, inputs?: PropertyMap): Promise<void>;
  stop(): Promise<void>;
}

/** Every CRUD request names its resource three ways, as the engine fills them. */
function addressed(req: { setUrn(u: string): void; setName(n: string): void; setType(t: string): void }, urnStr: string): void {
  req.setUrn(urnStr);
  req.setName(urnName(urnStr));
  req.setType(urnType(urnStr));
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` (no parent). */
export function urn(stack: string, project: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

/** Exactly what `pulumi.dynamic.Resource` stores in `__provider`. */
export async function serializeProvider(provider: object): Promise<string> {
  const fn = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return fn.text;
}

export function isSecretWrapped(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as any)[SECRET_SIG_KEY] === SECRET_SIG;
}
export function secretWrap(value: unknown): PropertyMap {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

const toStruct = (obj: PropertyMap): any => structpb.Struct.fromJavaScript(obj);
const fromStruct = (s: any): PropertyMap => (s ? (s.toJavaScript() as PropertyMap) : {});

function decodeInitFailure(err: any): InitFailure | undefined {
  const raw = err?.metadata?.get?.("grpc-status-details-bin")?.[0];
  if (!raw) return undefined;
  const status = statuspb.Status.deserializeBinary(new Uint8Array(raw as Buffer));
  for (const any of status.getDetailsList()) {
    if (any.getTypeName() !== "pulumirpc.ErrorResourceInitFailed") continue;
    const d = provpb.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
    return { id: d.getId(), properties: fromStruct(d.getProperties()), reasons: d.getReasonsList() };
  }
  return undefined;
}

export interface StartOptions {
  /** Project root: the host resolves `require()` in serialized providers from here (engine: program dir). */
  cwd: string;
  project: string;
  /** Not set by the engine for provider plugins; set only when given (some providers call pulumi.getStack()). */
  stack?: string;
  env?: Record<string, string>;
}

export async function startProviderHost(opts: StartOptions): Promise<ProviderHost> {
  const hostScript = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const env: Record<string, string | undefined> = {
    ...process.env,
    // What provider_plugin.go NewProvider adds for the pulumi-nodejs package.
    PULUMI_NODEJS_PROJECT: opts.project,
    PULUMI_PROJECT: opts.project,
    ...(opts.stack ? { PULUMI_NODEJS_STACK: opts.stack, PULUMI_STACK: opts.stack } : {}),
    ...opts.env,
  };
  // A test runner's own loader flags (e.g. ts-node) must not leak into the host: the engine runs plain node.
  delete env.NODE_OPTIONS;
  const child: ChildProcess = spawn(process.execPath, [hostScript, "127.0.0.1:1"], {
    cwd: opts.cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const port = await new Promise<number>((resolve, reject) => {
    let first = true;
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (first) {
        first = false;
        const p = Number(line.trim());
        if (Number.isInteger(p) && p > 0) resolve(p);
        else reject(new Error(`dynamic provider host printed ${JSON.stringify(line)} instead of a port`));
        return;
      }
      output.push(line);
    });
    readline.createInterface({ input: child.stderr! }).on("line", (line) => output.push(line));
    void exited.then((code) => reject(new Error(`host exited (${code}) before printing a port:\n${output.join("\n")}`)));
  });

  const client = new provgrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, req: any): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      client[method](req, (err: any, resp: T) => {
        if (err) reject(new HostError(err.code, err.details ?? err.message, method, decodeInitFailure(err)));
        else resolve(resp);
      });
    });

  let configured = false;
  const host: ProviderHost = {
    port,
    pid: child.pid!,
    output,
    get configured() {
      return configured;
    },

    async waitForOutput(line, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(line)) {
        if (Date.now() > deadline) throw new Error(`the host never printed "${line}"; it printed:\n${output.join("\n")}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },

    async configure(config, secretKeys = []) {
      // Engine (provider_plugin.go Configure): `variables` carries the legacy "<pkg>:config:<key>" spelling with
      // plaintext values; `args` carries the property map (for dynamic providers: the whole stack config with
      // namespaces kept, target.go GetPackageConfig) with secrets kept as secret-wrapped values.
      // The Node host reads only `args` and unwraps secrets.
      const req = new provpb.ConfigureRequest();
      const args: PropertyMap = {};
      for (const [k, v] of Object.entries(config)) {
        req.getVariablesMap().set(`pulumi-nodejs:config:${k}`, v);
        args[k] = secretKeys.includes(k) ? secretWrap(v) : v;
      }
      req.setArgs(toStruct(args));
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      req.setSendsOldInputs(true);
      req.setSendsOldInputsToDelete(true);
      await call("configure", req);
      configured = true;
    },

    async check(urnStr, olds, news) {
      const req = new provpb.CheckRequest();
      addressed(req, urnStr);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      const resp: any = await call("check", req);
      return {
        inputs: fromStruct(resp.getInputs()),
        failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },

    async diff(id, urnStr, olds, news, oldInputs) {
      const req = new provpb.DiffRequest();
      req.setId(id);
      addressed(req, urnStr);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      if (oldInputs) req.setOldInputs(toStruct(oldInputs));
      const resp: any = await call("diff", req);
      const C = provpb.DiffResponse.DiffChanges;
      const c = resp.getChanges();
      return {
        changes: c === C.DIFF_SOME ? "some" : c === C.DIFF_NONE ? "none" : "unknown",
        replaces: resp.getReplacesList(),
        deleteBeforeReplace: resp.getDeletebeforereplace(),
      };
    },

    async create(urnStr, properties) {
      const req = new provpb.CreateRequest();
      addressed(req, urnStr);
      req.setProperties(toStruct(properties));
      const resp: any = await call("create", req);
      return { id: resp.getId(), properties: fromStruct(resp.getProperties()) };
    },

    async read(id, urnStr, properties, inputs) {
      const req = new provpb.ReadRequest();
      req.setId(id);
      addressed(req, urnStr);
      req.setProperties(toStruct(properties));
      if (inputs) req.setInputs(toStruct(inputs));
      const resp: any = await call("read", req);
      return {
        id: resp.getId(),
        properties: fromStruct(resp.getProperties()),
        inputs: resp.hasInputs() ? fromStruct(resp.getInputs()) : undefined,
      };
    },

    async update(id, urnStr, olds, news, oldInputs) {
      const req = new provpb.UpdateRequest();
      req.setId(id);
      addressed(req, urnStr);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      if (oldInputs) req.setOldInputs(toStruct(oldInputs));
      const resp: any = await call("update", req);
      return { properties: fromStruct(resp.getProperties()) };
    },

    async delete(id, urnStr, properties, inputs) {
      const req = new provpb.DeleteRequest();
      req.setId(id);
      addressed(req, urnStr);
      req.setProperties(toStruct(properties));
      if (inputs) req.setOldInputs(toStruct(inputs));
      await call("delete", req);
    },

    async stop() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
  return host;
}

function urnParts(u: string): string[] {
  return u.split("::");
}
function urnName(u: string): string {
  return urnParts(u).slice(3).join("::");
}
function urnType(u: string): string {
  const t = urnParts(u)[2] ?? "";
  return t.split("$").pop()!;
}
