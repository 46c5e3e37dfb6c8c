// A small deployment engine on top of the real dynamic-provider host: what `pulumi up/preview/refresh/destroy`
// do for `pulumi-nodejs:dynamic/*` resources, minus the CLI. Rules mirror pkg/resource/deploy (step_generator.go,
// step.go) and provider_plugin.go as summarised in /work/shared/reference/pulumi-dynamic.md §5–§6.
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import {
  DiffResponse,
  HostError,
  PropertyMap,
  ProviderHost,
  SECRET_SIG,
  SECRET_SIG_KEY,
  UNKNOWN_VALUE,
  isSecretWrapped,
  secretWrap,
  urn as makeUrn,
} from "./provider-host";

export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  id: string;
  /** Checked inputs (what Check returned), as the engine stores them. */
  inputs: PropertyMap;
  outputs: PropertyMap;
  /** Top-level input names that were secret. */
  secretInputs: string[];
  /** Top-level output names the engine would store as secrets. */
  secretOutputs: string[];
  additionalSecretOutputs: string[];
  dependencies: string[];
  /** Set when the last create/update failed after the object existed (ErrorResourceInitFailed). */
  initErrors?: string[];
}

export interface DesiredResource {
  type: string;
  name: string;
  /** Plain inputs, already containing `__provider`. */
  inputs: PropertyMap;
  dependencies?: string[];
  additionalSecretOutputs?: string[];
  secretInputs?: string[];
  deleteBeforeReplace?: boolean;
  /** Only needed for parented resources, whose URN carries the parent type chain. */
  urn?: string;
}

export type PlannedOp = "create" | "update" | "replace" | "delete" | "same";
export interface StepRecord {
  op: PlannedOp | "refresh" | "refresh-delete" | "create-failed" | "update-failed";
  urn: string;
  id?: string;
  diff?: DiffResponse;
  detail?: string;
}
export interface StepSummary {
  created: string[];
  updated: string[];
  replaced: string[];
  deleted: string[];
  same: string[];
  steps: StepRecord[];
  /** Planned/performed action per URN. */
  plan: Record<string, PlannedOp>;
}
export interface Registered {
  urn: string;
  /** "" when unknown (preview of a create). */
  id: string;
  outputs: PropertyMap;
  secretOutputs: string[];
  op: PlannedOp;
}

export interface EngineOptions {
  host: ProviderHost;
  project: string;
  stack: string;
  /** Stack config sent to the host's Configure ("ns:key" -> string), before the first CRUD call. */
  config?: Record<string, string>;
  secretConfigKeys?: string[];
}

export class CheckFailedError extends Error {
  constructor(
    public readonly urn: string,
    public readonly failures: { property: string; reason: string }[],
  ) {
    super(`${urn}: check failed: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    this.name = "CheckFailedError";
  }
}

const emptySummary = (): StepSummary => ({ created: [], updated: [], replaced: [], deleted: [], same: [], steps: [], plan: {} });
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Engine rules: same-named secret input (annotateSecrets) or additionalSecretOutputs. */
function secretOutputsFor(outputs: PropertyMap, ...secretNameLists: string[][]): string[] {
  const names = new Set(secretNameLists.flat());
  return Object.keys(outputs).filter((k) => names.has(k));
}

/** Order `items` so that anything depending on another item comes first (reverse dependency order). */
function reverseDependencyOrder(items: ResourceState[]): ResourceState[] {
  const remaining = [...items];
  const out: ResourceState[] = [];
  while (remaining.length) {
    const i = remaining.findIndex((r) => !remaining.some((o) => o !== r && o.dependencies.includes(r.urn)));
    out.push(...remaining.splice(i < 0 ? remaining.length - 1 : i, 1));
  }
  return out;
}

function topoSort(desired: DesiredResource[], urnOf: (d: DesiredResource) => string): DesiredResource[] {
  const byUrn = new Map(desired.map((d) => [urnOf(d), d]));
  const done = new Set<string>();
  const out: DesiredResource[] = [];
  const visit = (d: DesiredResource, seen: string[]) => {
    const u = urnOf(d);
    if (done.has(u)) return;
    if (seen.includes(u)) throw new Error(`dependency cycle: ${[...seen, u].join(" -> ")}`);
    for (const dep of d.dependencies ?? []) {
      const dd = byUrn.get(dep);
      if (dd) visit(dd, [...seen, u]);
    }
    done.add(u);
    out.push(d);
  };
  desired.forEach((d) => visit(d, []));
  return out;
}

export class Engine {
  /** Insertion order is kept topological (dependencies first), like the engine's snapshot. */
  readonly state = new Map<string, ResourceState>();
  constructor(readonly opts: EngineOptions) {}

  get host(): ProviderHost {
    return this.opts.host;
  }
  urn(type: string, name: string): string {
    return makeUrn(this.opts.stack, this.opts.project, type, name);
  }
  /** A JSON-safe copy of the state, for assertions. */
  snapshot(): ResourceState[] {
    return clone([...this.state.values()]);
  }
  get(type: string, name: string): ResourceState | undefined {
    return this.state.get(this.urn(type, name));
  }

  async ensureConfigured(): Promise<void> {
    if (!this.host.configured) await this.host.configure(this.opts.config ?? {}, this.opts.secretConfigKeys ?? []);
  }

  beginDeployment(preview = false): Deployment {
    return new Deployment(this, preview);
  }

  /** `pulumi up` with a fixed list of desired resources. */
  async apply(desired: DesiredResource[]): Promise<StepSummary> {
    const d = this.beginDeployment(false);
    for (const r of topoSort(desired, (x) => x.urn ?? this.urn(x.type, x.name))) await d.register(r);
    return d.finish();
  }

  /** `pulumi preview`: Check + Diff only; returns the planned action per URN. */
  async preview(desired: DesiredResource[]): Promise<Record<string, PlannedOp>> {
    const d = this.beginDeployment(true);
    for (const r of topoSort(desired, (x) => x.urn ?? this.urn(x.type, x.name))) await d.register(r);
    return (await d.finish()).plan;
  }

  /** `pulumi refresh`: Read each resource with its old outputs and inputs. */
  async refresh(): Promise<StepSummary> {
    await this.ensureConfigured();
    const summary = emptySummary();
    // The engine refreshes resources in parallel (no dependency orders reads); results are kept in state order.
    const olds = [...this.state.values()];
    const reads = await Promise.all(olds.map((s) => this.host.read(s.id, s.urn, s.outputs, s.inputs)));
    for (const [i, s] of olds.entries()) {
      const r = reads[i];
      if (!r.id) {
        // step.go RefreshStep: "If the ID is blank treat this as a delete".
        this.state.delete(s.urn);
        summary.deleted.push(s.urn);
        summary.steps.push({ op: "refresh-delete", urn: s.urn, id: s.id });
        continue;
      }
      const inputs = r.inputs ?? s.inputs;
      this.state.set(s.urn, {
        ...s,
        id: r.id,
        outputs: r.properties,
        inputs,
        secretOutputs: secretOutputsFor(r.properties, s.secretOutputs, s.secretInputs, s.additionalSecretOutputs),
        secretInputs: s.secretInputs.filter((k) => k in inputs),
      });
      summary.steps.push({ op: "refresh", urn: s.urn, id: r.id });
      (isDeepStrictEqual(r.properties, s.outputs) && isDeepStrictEqual(inputs, s.inputs) ? summary.same : summary.updated).push(s.urn);
    }
    return summary;
  }

  /** `pulumi destroy`. */
  async destroy(): Promise<StepSummary> {
    const summary = emptySummary();
    await this.deleteAll(reverseDependencyOrder([...this.state.values()]), summary);
    return summary;
  }

  /** @internal */
  async deleteAll(items: ResourceState[], summary: StepSummary): Promise<void> {
    await this.ensureConfigured();
    for (const s of items) {
      // The old outputs' copy of __provider is what loads the provider (reference §2.4).
      await this.host.delete(s.id, s.urn, s.outputs, s.inputs);
      if (this.state.get(s.urn) === s) this.state.delete(s.urn);
      summary.deleted.push(s.urn);
      summary.plan[s.urn] = summary.plan[s.urn] ?? "delete";
      summary.steps.push({ op: "delete", urn: s.urn, id: s.id });
    }
  }
}

/** One `up` or `preview`: resources are registered one by one (possibly concurrently), then `finish()` deletes. */
export class Deployment {
  readonly summary = emptySummary();
  private readonly registered = new Set<string>();
  private readonly condemned: ResourceState[] = [];
  constructor(
    readonly engine: Engine,
    readonly preview: boolean,
  ) {}

  async register(d: DesiredResource): Promise<Registered> {
    const engine = this.engine;
    const host = engine.host;
    await engine.ensureConfigured();
    const urn = d.urn ?? engine.urn(d.type, d.name);
    if (this.registered.has(urn)) throw new Error(`Duplicate resource URN '${urn}'`);
    this.registered.add(urn);
    const old = engine.state.get(urn);
    const aso = d.additionalSecretOutputs ?? [];
    const sum = this.summary;

    const chk = await host.check(urn, old ? old.inputs : {}, d.inputs);
    if (chk.failures.length) throw new CheckFailedError(urn, chk.failures);
    const inputs = chk.inputs;
    const secretInputs = (d.secretInputs ?? []).filter((k) => k in inputs);
    const base = { urn, type: d.type, name: d.name, inputs, secretInputs, additionalSecretOutputs: aso, dependencies: d.dependencies ?? [] };

    const doCreate = async (): Promise<Registered> => {
      let res: { id: string; properties: PropertyMap };
      try {
        res = await host.create(urn, inputs);
      } catch (e) {
        if (e instanceof HostError && e.initFailure) {
          // provider_plugin.go parseError -> StatusPartialFailure: the engine keeps the object with that id.
          const f = e.initFailure;
          engine.state.set(urn, { ...base, id: f.id, outputs: f.properties, secretOutputs: secretOutputsFor(f.properties, secretInputs, aso), initErrors: f.reasons });
          sum.steps.push({ op: "create-failed", urn, id: f.id, detail: e.message });
        }
        throw e;
      }
      const st: ResourceState = { ...base, id: res.id, outputs: res.properties, secretOutputs: secretOutputsFor(res.properties, secretInputs, aso) };
      engine.state.set(urn, st);
      return { urn, id: st.id, outputs: st.outputs, secretOutputs: st.secretOutputs, op: "create" };
    };
    // Engine preview for a provider without preview support: Create/Update return the inputs as state.
    const previewResult = (op: PlannedOp, id: string): Registered => ({ urn, id, outputs: inputs, secretOutputs: secretOutputsFor(inputs, secretInputs, aso), op });

    if (!old) {
      sum.plan[urn] = "create";
      if (this.preview) return previewResult("create", "");
      const r = await doCreate();
      sum.created.push(urn);
      sum.steps.push({ op: "create", urn, id: r.id });
      return r;
    }

    const diff = await host.diff(old.id, urn, old.outputs, inputs, old.inputs);
    let changed = diff.changes === "some";
    if (diff.changes === "unknown") changed = !isDeepStrictEqual(old.inputs, inputs); // step_generator.go fallback
    const op: PlannedOp = !changed ? "same" : diff.replaces.length ? "replace" : "update";
    sum.plan[urn] = op;

    if (op === "same") {
      // SameStep: keep the old ID and outputs (incl. the old outputs' __provider); inputs become the new ones.
      if (!this.preview) engine.state.set(urn, { ...old, ...base, id: old.id, outputs: old.outputs, secretOutputs: old.secretOutputs });
      sum.same.push(urn);
      sum.steps.push({ op, urn, id: old.id, diff });
      return { urn, id: old.id, outputs: old.outputs, secretOutputs: old.secretOutputs, op };
    }
    if (this.preview) return previewResult(op, op === "update" ? old.id : "");

    if (op === "update") {
      let props: PropertyMap;
      try {
        props = (await host.update(old.id, urn, old.outputs, inputs, old.inputs)).properties;
      } catch (e) {
        if (e instanceof HostError && e.initFailure) {
          const f = e.initFailure;
          engine.state.set(urn, { ...base, id: old.id, outputs: f.properties, secretOutputs: secretOutputsFor(f.properties, secretInputs, aso), initErrors: f.reasons });
          sum.steps.push({ op: "update-failed", urn, id: old.id, detail: e.message });
        }
        throw e;
      }
      const st: ResourceState = { ...base, id: old.id, outputs: props, secretOutputs: secretOutputsFor(props, secretInputs, aso) };
      engine.state.set(urn, st);
      sum.updated.push(urn);
      sum.steps.push({ op, urn, id: old.id, diff });
      return { urn, id: st.id, outputs: st.outputs, secretOutputs: st.secretOutputs, op };
    }

    // Replace.
    const deleteFirst = d.deleteBeforeReplace ?? diff.deleteBeforeReplace;
    if (deleteFirst) {
      await host.delete(old.id, urn, old.outputs, old.inputs);
      engine.state.delete(urn);
      sum.steps.push({ op: "delete", urn, id: old.id, detail: "delete-before-replace" });
    } else {
      // create-before-delete: the old object is deleted at the end of the deployment (pending delete).
      this.condemned.push(old);
    }
    const r = await doCreate();
    sum.replaced.push(urn);
    sum.steps.push({ op: "replace", urn, id: r.id, diff, detail: deleteFirst ? "delete-before-replace" : "create-before-delete" });
    return { ...r, op: "replace" };
  }

  /** Deletes replaced objects and resources that were not registered, dependents first. */
  async finish(): Promise<StepSummary> {
    const gone = [...this.engine.state.values()].filter((s) => !this.registered.has(s.urn));
    if (this.preview) {
      for (const s of gone) this.summary.plan[s.urn] = "delete";
      return this.summary;
    }
    const replacedOld = reverseDependencyOrder(this.condemned);
    for (const s of replacedOld) {
      await this.engine.host.delete(s.id, s.urn, s.outputs, s.inputs);
      this.summary.steps.push({ op: "delete", urn: s.urn, id: s.id, detail: "replaced" });
    }
    await this.engine.deleteAll(reverseDependencyOrder(gone), this.summary);
    return this.summary;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running a real Pulumi program under setMocks, with every dynamic resource routed into the engine.

export interface ProgramRunOptions {
  project: string;
  stack: string;
  /** Stack config for the program, "ns:key" -> string (unqualified keys are not allowed by Pulumi either). */
  config: Record<string, string>;
  secretKeys?: string[];
  engine: Engine;
  mode: "up" | "preview";
}

export interface MockRegistration {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** Everything the SDK sent in RegisterResourceRequest.dependencies (dependsOn + property deps). */
  dependencies: string[];
  additionalSecretOutputs: string[];
  secretInputs: string[];
  inputs: PropertyMap;
}

export interface ProgramRunResult {
  /** Stack outputs, resolved and unwrapped (UNKNOWN_VALUE where unknown in preview). */
  outputs: Record<string, unknown>;
  /** Top-level stack output names that are secret (hold a secret anywhere inside). */
  secretOutputs: string[];
  /** Every path inside the stack outputs whose value is secret, e.g. "s365l.privateKey". */
  secretPaths: string[];
  summary: StepSummary;
  registrations: MockRegistration[];
}

/** The paths ("a.b.0.c") of sig-wrapped secrets inside a wire value. */
function secretPathsOf(v: unknown, at: string, found: string[] = []): string[] {
  if (isSecretWrapped(v)) {
    found.push(at);
    return found;
  }
  if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v as PropertyMap)) secretPathsOf(x, at ? `${at}.${k}` : k, found);
  }
  return found;
}

/** Recursively turns mocks' wire values into what the engine would send the provider (secrets stripped). */
function toWire(v: unknown, onSecret: () => void): unknown {
  if (pulumi.isUnknown(v)) return UNKNOWN_VALUE;
  if (isSecretWrapped(v)) {
    onSecret();
    return toWire(v.value, onSecret);
  }
  if (Array.isArray(v)) return v.map((x) => toWire(x, onSecret));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as PropertyMap).map(([k, x]) => [k, toWire(x, onSecret)]));
  }
  return v;
}

/** MockMonitor puts the root stack's type into child URNs; the engine does not (source_eval.go). */
const engineUrn = (u: string): string => u.replace("::pulumi:pulumi:Stack$", "::");

/** A program whose stack outputs are a module's exports (how Pulumi runs `main`), re-required on every run. */
export function programFromModule(modulePath: string, exportName?: string): () => Promise<unknown> {
  return async () => {
    const resolved = require.resolve(modulePath);
    delete require.cache[resolved];
    const mod = require(resolved);
    if (!exportName) return mod;
    return typeof mod[exportName] === "function" ? mod[exportName]() : mod[exportName];
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function runProgramThroughEngine(
  program: () => unknown | Promise<unknown>,
  opts: ProgramRunOptions,
): Promise<ProgramRunResult> {
  const { engine } = opts;
  if (engine.opts.project !== opts.project || engine.opts.stack !== opts.stack) {
    throw new Error("engine and program must agree on project and stack (URNs)");
  }
  const stateMod = require("@pulumi/pulumi/runtime/state");
  const settings = require("@pulumi/pulumi/runtime/settings");
  const preview = opts.mode === "preview";

  // Like the Automation API's in-process language server: a fresh runtime store per run (AsyncLocalStorage),
  // so stack resource, rpc queue, config and mock monitor never leak between runs.
  return stateMod.withLocalStorage(async (): Promise<ProgramRunResult> => {
    const deployment = engine.beginDeployment(preview);
    const registrations: MockRegistration[] = [];
    const engineErrors: unknown[] = [];
    let currentReq: any;
    let stackOutputs: PropertyMap = {};
    // A failed registration leaves dependents' Outputs pending forever (the SDK never resolves them), so the
    // program would hang: fail the run once the first error is seen and in-flight steps have settled.
    const inflight = new Set<Promise<unknown>>();
    let fail: (e: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined);
    let closed = false;
    const failSoon = (e: unknown) => void Promise.allSettled([...inflight]).then(() => fail(e));

    const mocks: pulumi.runtime.Mocks = {
      call: (args) => {
        throw new Error(`no mock for invoke ${args.token}`);
      },
      newResource: async (args) => {
        // MockResourceArgs has only type/name/inputs/provider/custom/id: dependencies, options and the URN
        // come from the RegisterResourceRequest captured by the monitor wrapper below (same tick).
        const req = currentReq;
        currentReq = undefined;
        const reqMatches = req && req.getType() === args.type && req.getName() === args.name;
        const reg: MockRegistration = {
          urn: reqMatches ? engineUrn(req.__urn) : makeUrn(opts.stack, opts.project, args.type, args.name),
          type: args.type,
          name: args.name,
          custom: !!args.custom,
          dependencies: reqMatches ? req.getDependenciesList().map(engineUrn) : [],
          additionalSecretOutputs: reqMatches ? req.getAdditionalsecretoutputsList() : [],
          secretInputs: [],
          inputs: {},
        };
        for (const [k, v] of Object.entries(args.inputs as PropertyMap)) {
          reg.inputs[k] = toWire(v, () => reg.secretInputs.includes(k) || reg.secretInputs.push(k));
        }
        registrations.push(reg);
        if (closed) throw new Error(`${reg.urn} registered after the run ended`);
        if (!args.type.startsWith("pulumi-nodejs:dynamic")) {
          return { id: args.custom ? `${args.name}_id` : undefined, state: args.inputs };
        }
        try {
          const op = deployment.register({
            type: args.type,
            name: args.name,
            urn: reg.urn,
            inputs: reg.inputs,
            dependencies: reg.dependencies,
            additionalSecretOutputs: reg.additionalSecretOutputs,
            secretInputs: reg.secretInputs,
            deleteBeforeReplace: reqMatches && req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
          });
          inflight.add(op);
          const r = await op;
          const state: PropertyMap = {};
          for (const [k, v] of Object.entries(r.outputs)) state[k] = r.secretOutputs.includes(k) ? secretWrap(v) : v;
          return { id: r.id || undefined, state };
        } catch (e) {
          engineErrors.push(e);
          failSoon(e);
          throw e;
        }
      },
    };
    await pulumi.runtime.setMocks(mocks, opts.project, opts.stack, preview);
    // How the language host hands config to a program in 3.248: runtime/config.js reads PULUMI_CONFIG /
    // PULUMI_CONFIG_SECRET_KEYS from the *store* (copied from process.env when the store is created);
    // setAllConfig writes the store directly, as automation/server.js does.
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys ?? []);

    const monitor = settings.getMonitor();
    const origRegister = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
      req.__urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
      currentReq = req; // MockMonitor calls mocks.newResource synchronously from here
      return origRegister(req, cb);
    };
    const origOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, cb: any) => {
      if (req.getUrn().split("::")[2] === "pulumi:pulumi:Stack") stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
      return origOutputs(req, cb);
    };

    const otherErrors: unknown[] = [];
    const onUnhandled = (e: unknown) => {
      otherErrors.push(e);
      failSoon(e);
    };
    // Like the language host, own unhandled rejections while the program runs: the SDK rethrows a failed
    // registration from a promise nobody awaits. (Other listeners, e.g. node:test's, are restored afterwards.)
    ownUnhandledRejections(onUnhandled);
    try {
      const run = async () => {
        await pulumi.runtime.runInPulumiStack(async () => program());
        await settings.waitForRPCs();
      };
      await Promise.race([run(), failed]);
    } catch (e) {
      otherErrors.push(e);
    } finally {
      closed = true;
      await new Promise((r) => setImmediate(r));
      if (engineErrors.length > 0 || otherErrors.length > 0) {
        // The SDK rethrows each failed registration a few turns later, from promises nobody awaits:
        // keep owning those rejections until the failed steps have settled and been rethrown.
        await Promise.allSettled([...inflight]);
        await new Promise((r) => setTimeout(r, 100));
      }
      releaseUnhandledRejections(onUnhandled);
    }
    if (engineErrors.length) throw engineErrors[0];
    if (otherErrors.length) throw otherErrors[0];

    const summary = await deployment.finish();
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [k, v] of Object.entries(stackOutputs)) {
      outputs[k] = toWire(v, () => secretOutputs.includes(k) || secretOutputs.push(k));
    }
    return { outputs, secretOutputs, secretPaths: secretPathsOf(stackOutputs, ""), summary, registrations };
  });
}

/**
 * Runs may overlap (a fleet of tenants in one process): the first one takes the process's
 * unhandledRejection listeners aside, the last one puts them back, and a rejection meanwhile
 * fails every run in flight (it cannot be told whose it was).
 */
const unhandledOwners = new Set<(e: unknown) => void>();
let savedUnhandledListeners: NodeJS.UnhandledRejectionListener[] = [];
const dispatchUnhandled = (e: unknown) => unhandledOwners.forEach((owner) => owner(e));

function ownUnhandledRejections(owner: (e: unknown) => void): void {
  if (unhandledOwners.size === 0) {
    savedUnhandledListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", dispatchUnhandled);
  }
  unhandledOwners.add(owner);
}

function releaseUnhandledRejections(owner: (e: unknown) => void): void {
  unhandledOwners.delete(owner);
  if (unhandledOwners.size > 0) return;
  process.off("unhandledRejection", dispatchUnhandled);
  for (const l of savedUnhandledListeners) process.on("unhandledRejection", l);
}

export { SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_VALUE };
