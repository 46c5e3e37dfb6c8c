// The stack file's schema: what a tenant's Pulumi.<tenant>.yaml may say, checked the same way by
// `npm run check-config` (offline, on the file) and by the program (on the config Pulumi hands it),
// so a mistake is reported with its path before any resource is registered. Every zod schema is
// built by a function (none is captured at module scope; reference/pulumi-dynamic.md §12).
import type { ApiMemberInputs } from "../providers/manage/api-member";
import { REFERENCE_FIELDS, ReferenceField } from "../providers/manage/references";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { SETTINGS, siteOrigin } from "../providers/manage/client/connection";
import { levelSchema } from "../providers/manage/permissions";
import type { FunctionSpec, MatchMode, PermissionMatrix } from "../providers/manage/permissions";
import { closest, didYouMean, normalizeLabel } from "../providers/manage/suggest";
import { KNOWN_CUSTOMIZE_ITEMS, KNOWN_FUNCTIONS } from "./known-functions";

export const PROJECT = "cw-manage-provisioner";
export const PRESETS_DIR = path.join(__dirname, "presets");

export type Enforcement = "advisory" | "strict";
/** The default enforcement: a first `pulumi up` succeeds and reports the checklist as outputs. */
export const DEFAULT_ENFORCEMENT: Enforcement = "advisory";

/** A `secure:` value as the stack file holds it (check-config cannot decrypt it, and need not). */
export class Secure {
  constructor(readonly ciphertext: string) {}
}

export type PathSegment = string | number;

export interface Problem {
  /** The full config key, e.g. "cwmanage:privateKey" or "cw-manage-provisioner:integrations". */
  key: string;
  /** Where inside the key's value. */
  path: PathSegment[];
  message: string;
}

/** The config of one stack, in the form the checks take. */
export interface StackConfigInput {
  project: string;
  stack: string;
  /** "ns:key" -> value. Top-level scalars are strings (as Pulumi passes them); objects are parsed. */
  values: Record<string, unknown>;
  /** Top-level keys whose value is (or contains) a secret. */
  secretKeys: string[];
  /**
   * "file": read from Pulumi.<stack>.yaml; nested `secure:` values are visible as Secure.
   * "program": handed over by Pulumi; secrets are decrypted and only top-level secretness is known.
   */
  source: "file" | "program";
  /** The environment (program only): CWMANAGE_* settings override the stack's config. */
  env?: Record<string, string | undefined>;
}

// ---------------------------------------------------------------------------------------------
// The resolved model: what the program builds from.

export interface NewRole {
  kind: "new";
  name: string;
  permissions: PermissionMatrix;
  mode: MatchMode;
  enforcement: Enforcement;
  adopt?: boolean;
  onDelete?: "delete" | "retain";
}
export interface ExistingRole {
  kind: "existing";
  name: string;
  /** When given, the role is verified against it (it is never changed). */
  permissions?: PermissionMatrix;
  mode: MatchMode;
  enforcement: Enforcement;
}
/** The member's references by name: every one the ApiMember takes but its role (the integration's own). */
export const MEMBER_REFERENCE_FIELDS = REFERENCE_FIELDS.filter(
  (f): f is Exclude<ReferenceField, "securityRole"> => f !== "securityRole",
);
/** A new API member as the stack file declares it: the ApiMember's inputs, its role aside. */
export interface NewMember extends Omit<ApiMemberInputs, "securityRole" | "providerVersion"> {
  kind: "new";
}
export interface ExistingMember {
  kind: "existing";
  identifier: string;
}
export interface ResolvedKey {
  description: string;
  enforcement: Enforcement;
  /** Verify the key's effective access against the role's permissions. */
  verifyPermissions: boolean;
  /** The config path the key pair is read from, relative to the project namespace: apiKeys.<member>. */
  configPath: string;
  publicKey?: string;
  /** The private key (program) or its Secure form (check-config). */
  privateKey?: string | Secure;
}
export interface ResolvedIntegration {
  name: string;
  preset?: string;
  role?: NewRole | ExistingRole;
  member: NewMember | ExistingMember;
  key: ResolvedKey;
}
export interface ResolvedStack {
  project: string;
  stack: string;
  connection: { site?: string; companyId?: string; fromEnv: string[]; fromConfig: string[] };
  enforcement: Enforcement;
  integrations: ResolvedIntegration[];
}

export interface Validation {
  problems: Problem[];
  /** Set when there is no problem. */
  stack?: ResolvedStack;
}

// ---------------------------------------------------------------------------------------------
// Keys and paths.

const SETTING_NAMES = SETTINGS.map(([name]) => name) as string[];
const REQUIRED_SETTINGS = ["site", "companyId", "publicKey", "privateKey", "clientId"];
const NUMERIC_SETTINGS = new Set(["maxConcurrency", "timeoutMs", "maxAttempts", "retryBaseMs", "retryMaxMs"]);
const envOf = (name: string): string => SETTINGS.find(([n]) => n === name)![1];

/** Keys of the project namespace; the first three hold structured values. */
export const PROJECT_KEYS = ["integrations", "apiKeys", "connectionFromEnv", "extraKnown", "enforcement"] as const;
export const OBJECT_KEYS = new Set<string>(["integrations", "apiKeys", "connectionFromEnv", "extraKnown"]);

/** `a.b[0]["Table Setup"]`: the syntax `pulumi config set --path` takes. */
export function formatPath(segments: PathSegment[], continued = false): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === "" && !continued ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** The path a person reads: project keys without their namespace (as `pulumi config` names them). */
export function problemPath(p: Pick<Problem, "key" | "path">, project = PROJECT): string {
  if (p.key.startsWith(`${project}:`)) return formatPath([p.key.slice(project.length + 1), ...p.path]);
  return p.key + formatPath(p.path, true);
}

export function formatProblem(p: Problem, project = PROJECT): string {
  return `${problemPath(p, project)}: ${p.message}`;
}

function typeName(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (v instanceof Secure) return "a secret (secure:)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `a string ("${v.length > 40 ? `${v.slice(0, 40)}…` : v}")`;
  return `a ${typeof v} (${String(v)})`;
}
const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
};

/** zod issues (parsed with reportInput) as problems in the stack file's words. */
function issuesToProblems(key: string, base: PathSegment[], issues: z.core.$ZodIssue[]): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const at = [...base, ...(issue.path as PathSegment[])];
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case "unrecognized_keys": {
        const lines = issue.message.split("\n");
        issue.keys.forEach((k, i) =>
          out.push({ key, path: [...at, k], message: lines.length === issue.keys.length ? lines[i] : "unknown key" }),
        );
        break;
      }
      case "invalid_type":
        out.push({ key, path: at, message: input === undefined ? "required" : `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${typeName(input)}` });
        break;
      case "too_big":
        out.push({
          key,
          path: at,
          message:
            issue.origin === "string" && typeof input === "string"
              ? `at most ${issue.maximum} characters, got ${input.length}`
              : `at most ${issue.maximum}${issue.origin === "array" ? " entries" : ""}`,
        });
        break;
      case "too_small":
        out.push({
          key,
          path: at,
          message: issue.origin === "string" ? "must not be empty" : issue.origin === "array" ? `at least ${issue.minimum} ${Number(issue.minimum) === 1 ? "entry" : "entries"}` : `at least ${issue.minimum}`,
        });
        break;
      case "invalid_value": {
        const allowed = issue.values.map((v) => JSON.stringify(v));
        const list = allowed.length === 2 ? allowed.join(" or ") : `one of ${allowed.join(", ")}`;
        const near = typeof input === "string" ? closest(input, issue.values.map(String), 1) : [];
        out.push({ key, path: at, message: `must be ${list}, got ${typeName(input)}${near.length ? `: did you mean "${near[0]}"?` : ""}` });
        break;
      }
      default:
        out.push({ key, path: at, message: issue.message });
    }
  }
  return out;
}

/** A strict object: each unknown key is reported on its own path with the closest known keys. */
function strictObject<S extends z.ZodRawShape>(shape: S, hint?: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === "unrecognized_keys") {
        return iss.keys.map((k) => {
          const near = closest(k, known);
          return near.length ? `unknown key, did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : `unknown key${hint ? ` (${hint})` : ""}; known: ${known.join(", ")}`;
        }).join("\n");
      }
      return undefined;
    },
  });
}

const text = (max: number) => z.string().min(1).max(max);
const choice = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);

// ---------------------------------------------------------------------------------------------
// Schemas (each built on demand).

export const functionSpecSchema = () =>
  strictObject({
    add: levelSchema().optional(),
    edit: levelSchema().optional(),
    delete: levelSchema().optional(),
    inquire: levelSchema().optional(),
    customize: z.array(z.string().min(1)).optional(),
  });

/** { Module: { Function: { add, edit, delete, inquire, customize } } } with the UI's labels. */
export const permissionsSchema = () => z.record(z.string().min(1), z.record(z.string().min(1), functionSpecSchema()));

export const memberSchema = () =>
  strictObject({
    identifier: text(15).regex(/^[A-Za-z0-9]+$/, "letters and digits only (the UI's Member ID)"),
    name: text(30),
    defaultDepartment: text(50).optional(),
    defaultLocation: text(50).optional(),
    securityLocation: text(50).optional(),
    salesDefaultLocation: text(50).optional(),
    structureLevel: text(50).optional(),
    timeZone: text(50).optional(),
    emailAddress: z.email("not an e-mail address").max(250).optional(),
    notes: z.string().max(1000).optional(),
    adopt: z.boolean().optional(),
    onDelete: choice(["deactivate", "retain"]).optional(),
  });

export const roleSchema = () =>
  strictObject({
    name: text(30).refine((s) => s === s.trim(), "must not start or end with spaces").optional(),
    existing: text(30).optional(),
    permissions: permissionsSchema().optional(),
    mode: choice(["exact", "atLeast"]).optional(),
    enforcement: choice(["advisory", "strict"]).optional(),
    adopt: z.boolean().optional(),
    onDelete: choice(["delete", "retain"]).optional(),
  });

export const keySchema = () =>
  strictObject({
    description: text(100).optional(),
    enforcement: choice(["advisory", "strict"]).optional(),
    verifyPermissions: z.boolean().optional(),
  });

export const integrationSchema = () =>
  strictObject({
    name: text(40).regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "a letter, then letters, digits, - or _ (it names the resources and the stack output)"),
    preset: text(100).optional(),
    member: memberSchema().optional(),
    existingMember: text(15).optional(),
    role: roleSchema().optional(),
    key: keySchema().optional(),
  });

/** A preset file: an integration without name or preset. */
export const presetSchema = () => integrationSchema().omit({ name: true, preset: true });

const privateKeyValue = () =>
  z.custom<string | Secure>((v) => (typeof v === "string" && v.length > 0) || v instanceof Secure, {
    error: (iss) => `expected the private key (a secret string), got ${typeName(iss.input)}`,
  });

export const apiKeysSchema = () =>
  z.record(z.string().min(1), strictObject({ publicKey: text(100).optional(), privateKey: privateKeyValue().optional() }));

export const extraKnownSchema = () =>
  strictObject({
    functions: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
    customizeItems: z.array(z.string().min(1)).optional(),
  });

export const connectionFromEnvSchema = () => z.array(choice(SETTING_NAMES as [string, ...string[]]));

export type IntegrationInput = z.infer<ReturnType<typeof integrationSchema>>;
export type PresetInput = z.infer<ReturnType<typeof presetSchema>>;

// ---------------------------------------------------------------------------------------------
// Presets.

export function presetNames(dir = PRESETS_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ""))
    .sort();
}

/** A preset's raw content; throws for a malformed file (the bundled presets are tested). */
export function loadPreset(name: string, dir = PRESETS_DIR): Record<string, unknown> | undefined {
  const file = ["yaml", "yml"].map((ext) => path.join(dir, `${name}.${ext}`)).find((f) => fs.existsSync(f));
  if (!file || !/^[A-Za-z0-9_.-]+$/.test(name)) return undefined;
  const data: unknown = parseYaml(fs.readFileSync(file, "utf8"));
  const parsed = presetSchema().safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const lines = issuesToProblems("preset", [], parsed.error.issues).map((p) => `${formatPath(p.path)}: ${p.message}`);
    throw new Error(`preset ${file} is malformed:\n- ${lines.join("\n- ")}`);
  }
  return data as Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Deep override: mappings merge key by key; a list or a scalar replaces; `null` removes the key.
 * (So an integration can take a preset and change, add or drop any part of it.)
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === null) return undefined;
  if (over === undefined) return base;
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const merged = deepMerge(base[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return over;
}

/**
 * An integration over its preset. Choosing the other kind replaces rather than merges: a role
 * given as `existing` drops the preset's role (its name and permissions), `existingMember` drops
 * the preset's member, and the other way round.
 */
export function applyPreset(preset: Record<string, unknown>, integration: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> = { ...preset };
  const role = integration.role;
  const presetRole = base.role;
  if (isPlainObject(role) && isPlainObject(presetRole)) {
    const switches = ("existing" in role && !("existing" in presetRole)) || ("name" in role && "existing" in presetRole);
    if (switches) delete base.role;
  }
  if (integration.existingMember !== undefined && integration.existingMember !== null) delete base.member;
  if (integration.member !== undefined && integration.member !== null) delete base.existingMember;
  const { preset: _p, ...rest } = integration;
  return deepMerge(base, rest) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Permission labels (offline).

interface Known {
  modules: Map<string, { label: string; functions: Map<string, { label: string; customize: boolean | undefined }> }>;
  customizeItems: string[];
}

function knownLabels(extra?: z.infer<ReturnType<typeof extraKnownSchema>>): Known {
  const modules: Known["modules"] = new Map();
  const add = (module: string, fn: string, customize: boolean | undefined) => {
    const m = modules.get(normalizeLabel(module)) ?? { label: module, functions: new Map() };
    modules.set(normalizeLabel(module), m);
    if (!m.functions.has(normalizeLabel(fn))) m.functions.set(normalizeLabel(fn), { label: fn, customize });
  };
  for (const [module, fns] of Object.entries(KNOWN_FUNCTIONS)) for (const f of fns) add(module, f.label, f.customize);
  // Extra names: whether they have a Customize list is left to the tenant to say.
  for (const [module, fns] of Object.entries(extra?.functions ?? {})) for (const f of fns) add(module, f, undefined);
  return { modules, customizeItems: [...KNOWN_CUSTOMIZE_ITEMS, ...(extra?.customizeItems ?? [])] };
}

/** Rewrites module and function keys to the known label ("company maintenance" -> "Company Maintenance"). */
function canonicalMatrix(
  raw: unknown,
  known: Known,
  report: (path: PathSegment[], message: string) => void,
): unknown {
  if (!isPlainObject(raw)) return raw;
  const out: Record<string, unknown> = {};
  const seenModules = new Map<string, string>();
  for (const [module, fns] of Object.entries(raw)) {
    const m = known.modules.get(normalizeLabel(module));
    const label = m?.label ?? module;
    if (seenModules.has(label)) {
      report([module], `the same module as "${seenModules.get(label)}": write it once`);
      continue;
    }
    seenModules.set(label, module);
    if (!isPlainObject(fns) || !m) {
      out[label] = fns;
      continue;
    }
    const outFns: Record<string, unknown> = {};
    const seenFns = new Map<string, string>();
    for (const [fn, spec] of Object.entries(fns)) {
      const fl = m.functions.get(normalizeLabel(fn))?.label ?? fn;
      if (seenFns.has(fl)) {
        report([module, fn], `the same function as "${seenFns.get(fl)}": write it once`);
        continue;
      }
      seenFns.set(fl, fn);
      outFns[fl] = spec;
    }
    out[label] = outFns;
  }
  return out;
}

function checkMatrixNames(matrix: PermissionMatrix, known: Known, report: (path: PathSegment[], message: string) => void): void {
  const moduleLabels = [...known.modules.values()].map((m) => m.label);
  for (const [module, fns] of Object.entries(matrix)) {
    const m = known.modules.get(normalizeLabel(module));
    if (!m) {
      report([module], `unknown module "${module}", ${didYouMean(module, moduleLabels)}`);
      continue;
    }
    for (const [fn, spec] of Object.entries(fns)) {
      const f = m.functions.get(normalizeLabel(fn));
      if (!f) {
        report([module, fn], `unknown function "${fn}" in ${m.label}, ${didYouMean(fn, [...m.functions.values()].map((x) => x.label))}`);
        continue;
      }
      if (spec.customize !== undefined && spec.customize.length > 0 && f.customize === false) {
        report([module, fn, "customize"], `${m.label} › ${f.label} has no Customize list in the UI`);
        continue;
      }
      (spec.customize ?? []).forEach((item, i) => {
        const ok = known.customizeItems.some((k) => normalizeLabel(k) === normalizeLabel(item));
        if (!ok) report([module, fn, "customize", i], `unknown Customize entry "${item}", ${didYouMean(item, known.customizeItems)}`);
      });
    }
  }
}

/** Customize entries written as the UI shows them ("Agreements / Batch"). */
function canonicalCustomize(matrix: PermissionMatrix, known: Known): PermissionMatrix {
  const out: PermissionMatrix = {};
  for (const [module, fns] of Object.entries(matrix)) {
    out[module] = {};
    for (const [fn, spec] of Object.entries(fns)) {
      const s: FunctionSpec = { ...spec };
      if (spec.customize) s.customize = spec.customize.map((i) => known.customizeItems.find((k) => normalizeLabel(k) === normalizeLabel(i)) ?? i);
      out[module][fn] = s;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The checks.

/** Every problem of a stack's config; the resolved stack when there is none. */
export function validateStack(input: StackConfigInput): Validation {
  const { project } = input;
  const problems: Problem[] = [];
  const at = (key: string, p: PathSegment[], message: string) => problems.push({ key, path: p, message });
  const pk = (name: string) => `${project}:${name}`;
  const secret = new Set(input.secretKeys);

  // 1. Keys: namespaces and names.
  for (const key of Object.keys(input.values)) {
    const colon = key.indexOf(":");
    if (colon < 0) {
      const near = closest(key, [...PROJECT_KEYS, ...SETTING_NAMES], 1);
      at(key, [], `a config key needs a namespace: write ${near.length && SETTING_NAMES.includes(near[0]) ? `cwmanage:${near[0]}` : `${project}:${near[0] ?? key}`}`);
      continue;
    }
    const ns = key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (ns === "cwmanage") {
      if (!SETTING_NAMES.includes(name)) at(key, [], `unknown provider setting, ${didYouMean(name, SETTING_NAMES)}`);
    } else if (ns === project) {
      if (!(PROJECT_KEYS as readonly string[]).includes(name)) at(key, [], `unknown key, ${didYouMean(name, [...PROJECT_KEYS])}`);
    } else if (closest(ns, ["cwmanage", project], 1).length > 0) {
      at(key, [], `unknown namespace "${ns}", did you mean ${closest(ns, ["cwmanage", project], 1).map((n) => `"${n}:${name}"`)[0]}?`);
    }
  }

  // 2. Project settings that shape everything else.
  const parse = <T>(name: string, schema: z.ZodType<T>): T | undefined => {
    const key = pk(name);
    if (!(key in input.values)) return undefined;
    const r = schema.safeParse(input.values[key], { reportInput: true });
    if (r.success) return r.data;
    problems.push(...issuesToProblems(key, [], r.error.issues));
    return undefined;
  };
  const enforcement = parse("enforcement", choice(["advisory", "strict"])) ?? DEFAULT_ENFORCEMENT;
  const fromEnv = parse("connectionFromEnv", connectionFromEnvSchema()) ?? [];
  const extra = parse("extraKnown", extraKnownSchema());
  const known = knownLabels(extra);

  // 3. The provider connection.
  const fromConfig: string[] = [];
  const env = input.env ?? {};
  for (const name of SETTING_NAMES) {
    const key = `cwmanage:${name}`;
    const value = input.values[key];
    const present = value !== undefined && value !== "";
    const envValue = input.source === "program" ? env[envOf(name)] : undefined;
    const fromEnvNow = envValue !== undefined && envValue !== "";
    if (present) fromConfig.push(name);
    if (name === "privateKey" && present) {
      const isSecret = input.source === "file" ? value instanceof Secure : secret.has(key);
      if (!isSecret) at(key, [], `must be a secret, found plain text: run \`pulumi config set --secret cwmanage:privateKey <private key>\` (the file then holds secure: v1:…) and rotate the key if the plain text was ever committed`);
    } else if (present && !(value instanceof Secure) && typeof value !== "string") {
      at(key, [], `expected a string, got ${typeName(value)}`);
    }
    if (!REQUIRED_SETTINGS.includes(name)) {
      if (present && NUMERIC_SETTINGS.has(name) && !/^[1-9][0-9]*$/.test(String(value))) at(key, [], `must be a positive whole number, got ${typeName(value)}`);
      continue;
    }
    if (present || fromEnvNow) continue;
    const secretFlag = name === "privateKey" ? " --secret" : "";
    if (input.source === "program" && fromEnv.includes(name)) {
      at(key, [], `not set: the stack file says it comes from the environment (connectionFromEnv), but ${envOf(name)} is empty`);
    } else if (input.source === "file" && fromEnv.includes(name)) {
      continue;
    } else {
      at(key, [], `not set: run \`pulumi config set${secretFlag} ${key} <value>\`, or provide ${envOf(name)} at run time and list ${name} under ${project}:connectionFromEnv`);
    }
  }
  const site = input.values["cwmanage:site"];
  if (typeof site === "string" && site !== "") {
    try {
      siteOrigin(site);
    } catch (e) {
      at("cwmanage:site", [], (e as Error).message.replace(/^cwmanage:site /, ""));
    }
  }

  // 4. Integrations.
  const intKey = pk("integrations");
  let integrations: ResolvedIntegration[] = [];
  const rawList = input.values[intKey];
  const presets = presetNames();
  if (rawList === undefined) {
    at(intKey, [], `required: declare at least one integration, e.g. - { name: s365l, preset: ${presets[0] ?? "sync365-license"} }`);
  } else if (!Array.isArray(rawList)) {
    at(intKey, [], `expected a list of integrations, got ${typeName(rawList)}`);
  } else if (rawList.length === 0) {
    at(intKey, [], "at least 1 entry");
  } else {
    const aligned = rawList.map((raw, i) => resolveIntegration(raw, [i], intKey, known, enforcement, presets, at));
    checkDuplicates(rawList, aligned, intKey, at);
    integrations = aligned.filter((x): x is ResolvedIntegration => x !== undefined);
  }

  // 5. Handed-over keys.
  const akKey = pk("apiKeys");
  const apiKeys = parse("apiKeys", apiKeysSchema());
  if (apiKeys) {
    const members = integrations.map((x) => x.member.identifier);
    const allResolved = Array.isArray(rawList) && integrations.length === rawList.length;
    for (const [member, pair] of Object.entries(apiKeys)) {
      const cmd = (field: string, secretFlag: string) => `pulumi config set --path${secretFlag} '${formatPath(["apiKeys", member, field])}' <${field === "publicKey" ? "public" : "private"} key>`;
      if (pair.privateKey !== undefined) {
        const isSecret = input.source === "file" ? pair.privateKey instanceof Secure : secret.has(akKey);
        if (!isSecret) at(akKey, [member, "privateKey"], `must be a secret, found plain text: run \`${cmd("privateKey", " --secret")}\` and rotate the key (it was exposed)`);
      }
      if (pair.publicKey !== undefined && pair.privateKey === undefined) at(akKey, [member, "privateKey"], `required with publicKey: run \`${cmd("privateKey", " --secret")}\``);
      if (pair.publicKey === undefined && pair.privateKey !== undefined) at(akKey, [member, "publicKey"], `required with privateKey: run \`${cmd("publicKey", "")}\``);
      const owner = integrations.find((x) => x.member.identifier === member);
      if (!owner) {
        if (allResolved) {
          const near = closest(member, members);
          at(akKey, [member], `no integration has member ${member} (keys are filed under the member's identifier)${near.length ? `, did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : members.length ? `; members: ${members.join(", ")}` : ""}`);
        }
      } else if (pair.publicKey !== undefined && pair.privateKey !== undefined) {
        owner.key.publicKey = pair.publicKey;
        owner.key.privateKey = pair.privateKey;
      }
    }
  }

  if (problems.length > 0) return { problems };
  const siteValue = typeof site === "string" ? site : env[envOf("site")];
  const company = input.values["cwmanage:companyId"];
  return {
    problems,
    stack: {
      project,
      stack: input.stack,
      connection: {
        site: siteValue || undefined,
        companyId: typeof company === "string" ? company : env[envOf("companyId")],
        fromEnv,
        fromConfig,
      },
      enforcement,
      integrations,
    },
  };
}

function resolveIntegration(
  raw: unknown,
  base: PathSegment[],
  key: string,
  known: Known,
  stackEnforcement: Enforcement,
  presets: string[],
  at: (key: string, p: PathSegment[], message: string) => void,
): ResolvedIntegration | undefined {
  if (!isPlainObject(raw)) {
    at(key, base, `expected an integration (a mapping with name, role, member, key), got ${typeName(raw)}`);
    return undefined;
  }
  const rel = (p: PathSegment[]) => [...base, ...p];
  let merged: Record<string, unknown> = raw;
  let failed = false;
  const presetName = raw.preset;
  // Canonical permission labels, in the integration and in its preset, so overrides meet.
  const canon = (obj: Record<string, unknown>, report: boolean): Record<string, unknown> => {
    if (!isPlainObject(obj.role) || obj.role.permissions === undefined) return obj;
    const permissions = canonicalMatrix(obj.role.permissions, known, (p, message) => {
      if (report) {
        at(key, rel(["role", "permissions", ...p]), message);
        failed = true;
      }
    });
    return { ...obj, role: { ...obj.role, permissions } };
  };
  merged = canon(raw, true);
  if (typeof presetName === "string") {
    const preset = presets.includes(presetName) ? loadPreset(presetName) : undefined;
    if (!preset) {
      at(key, rel(["preset"]), `no preset "${presetName}" in stacks/presets/, ${didYouMean(presetName, presets)}`);
      return undefined;
    }
    merged = applyPreset(canon(preset, false), merged);
    merged.preset = presetName;
  }
  const parsed = integrationSchema().safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    for (const p of issuesToProblems(key, base, parsed.error.issues)) at(p.key, p.path, p.message);
    // The permission names can still be checked when the matrix itself is well formed.
    const matrix = isPlainObject(merged.role) ? permissionsSchema().safeParse(merged.role.permissions) : undefined;
    if (matrix?.success) checkMatrixNames(canonicalCustomize(matrix.data as PermissionMatrix, known), known, (p, m) => at(key, rel(["role", "permissions", ...p]), m));
    return undefined;
  }
  if (failed) return undefined;
  const x = parsed.data;
  const problemsBefore = { n: 0 };
  const report = (p: PathSegment[], message: string) => {
    problemsBefore.n++;
    at(key, rel(p), message);
  };

  // Member: a new API member or an existing one, exactly one.
  let member: NewMember | ExistingMember | undefined;
  if (x.member && x.existingMember) report(["existingMember"], "give either member (a new API member) or existingMember (a key on an existing member), not both");
  else if (x.member) member = { kind: "new", ...x.member };
  else if (x.existingMember) member = { kind: "existing", identifier: x.existingMember };
  else report(["member"], "required: a new API member (member: { identifier, name, … }) or existingMember: <identifier>");

  // Role: a new one (with permissions) or an existing one by name.
  let role: NewRole | ExistingRole | undefined;
  const r = x.role;
  if (!r) {
    if (x.member) report(["role"], "required: the API member's security role: role: { name, permissions } or role: { existing: <name> }");
  } else if (r.name !== undefined && r.existing !== undefined) {
    report(["role"], "give either name (a new role) or existing (a role the tenant has), not both");
  } else if (r.name === undefined && r.existing === undefined) {
    report(["role", "name"], "required: name (a new role) or existing: <role name>");
  } else {
    const mode = r.mode ?? "exact";
    const enforcement = r.enforcement ?? stackEnforcement;
    const permissions = r.permissions ? canonicalCustomize(r.permissions as PermissionMatrix, known) : undefined;
    if (permissions) checkMatrixNames(permissions, known, (p, m) => report(["role", "permissions", ...p], m));
    if (r.name !== undefined) {
      if (!permissions) report(["role", "permissions"], "required for a new role: { Module: { Function: { add, edit, delete, inquire } } } with the UI's labels");
      if (x.existingMember) report(["role", "name"], "a new role needs a new API member to hold it; with existingMember use role: { existing: <the member's role> } or leave role out");
      role = { kind: "new", name: r.name, permissions: permissions ?? {}, mode, enforcement, adopt: r.adopt, onDelete: r.onDelete };
    } else {
      for (const f of ["adopt", "onDelete"] as const) if (r[f] !== undefined) report(["role", f], `applies to a new role only: an existing role is looked up, never created or deleted`);
      role = { kind: "existing", name: r.existing!, permissions, mode, enforcement };
    }
  }
  if (problemsBefore.n > 0 || !member) return undefined;
  const keyEnforcement = x.key?.enforcement ?? stackEnforcement;
  return {
    name: x.name,
    preset: x.preset,
    role,
    member,
    key: {
      description: x.key?.description ?? x.name,
      enforcement: keyEnforcement,
      verifyPermissions: x.key?.verifyPermissions ?? true,
      configPath: formatPath(["apiKeys", member.identifier]),
    },
  };
}

function checkDuplicates(
  rawList: unknown[],
  resolved: Array<ResolvedIntegration | undefined>,
  key: string,
  at: (key: string, p: PathSegment[], message: string) => void,
): void {
  const seen = { name: new Map<string, number>(), member: new Map<string, number>(), role: new Map<string, number>() };
  rawList.forEach((raw, i) => {
    const it = resolved[i];
    if (!isPlainObject(raw)) return;
    if (typeof raw.name === "string") {
      const k = raw.name.toLowerCase();
      if (seen.name.has(k)) at(key, [i, "name"], `duplicate integration name "${raw.name}" (also integrations[${seen.name.get(k)}])`);
      else seen.name.set(k, i);
    }
    if (!it) return;
    const m = it.member.identifier.toLowerCase();
    const field: PathSegment[] = it.member.kind === "new" ? [i, "member", "identifier"] : [i, "existingMember"];
    if (seen.member.has(m)) at(key, field, `duplicate member identifier "${it.member.identifier}" (also integrations[${seen.member.get(m)}]): each integration needs its own member`);
    else seen.member.set(m, i);
    if (it.role?.kind === "new") {
      const n = it.role.name.toLowerCase();
      if (seen.role.has(n)) at(key, [i, "role", "name"], `duplicate role name "${it.role.name}" (also created by integrations[${seen.role.get(n)}])`);
      else seen.role.set(n, i);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Reading config.

/** The config Pulumi hands a program (`pulumi.runtime.allConfig()`), in the checks' form. */
export function fromPulumiConfig(
  all: Record<string, string>,
  secretKeys: string[],
  opts: { project: string; stack: string; env?: Record<string, string | undefined> },
): StackConfigInput {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    const name = key.startsWith(`${opts.project}:`) ? key.slice(opts.project.length + 1) : undefined;
    if (name !== undefined && OBJECT_KEYS.has(name)) {
      try {
        values[key] = JSON.parse(value);
      } catch {
        values[key] = value;
      }
    } else values[key] = value;
  }
  return { project: opts.project, stack: opts.stack, values, secretKeys, source: "program", env: opts.env ?? process.env };
}

