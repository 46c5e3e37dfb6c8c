// The admin's part, played against the emulator's console (which stands in for the Manage UI):
// turn an integration's checklist (its `actionsRequired` stack output) into the clicks an admin
// would make, create the member's API key, and hand the key over with the exact
// `pulumi config set` commands the ApiKey resource prints. Pure planning is kept apart from the
// console calls, so both `npm run sandbox -- admin` and the tests use the same functions.
import type { Level } from "../providers/manage/permissions";
import { normalizeLabel } from "../providers/manage/suggest";
import { ResolvedIntegration } from "./schema";

export type ParsedAction =
  | { kind: "level"; module: string; fn: string; field: "add" | "edit" | "delete" | "inquire"; to: Level; from: Level }
  | { kind: "allow"; module: string; fn: string; item: string }
  | { kind: "remove"; module: string; fn: string; item: string }
  | { kind: "other"; line: string };

const LEVEL_LINE = /^(.+?) › (.+?): set (Add|Edit|Delete|Inquire) to (All|My|None) \(now (All|My|None)\)$/;
const ALLOW_LINE = /^(.+?) › (.+?): allow "(.+)" under Customize$/;
const REMOVE_LINE = /^(.+?) › (.+?): remove "(.+)" from Customize$/;

/** One checklist line, as written by SecurityRolePermissions / ApiKey. */
export function parseAction(line: string): ParsedAction {
  let m = LEVEL_LINE.exec(line);
  if (m) return { kind: "level", module: m[1], fn: m[2], field: m[3].toLowerCase() as "add", to: m[4] as Level, from: m[5] as Level };
  m = ALLOW_LINE.exec(line);
  if (m) return { kind: "allow", module: m[1], fn: m[2], item: m[3] };
  m = REMOVE_LINE.exec(line);
  if (m) return { kind: "remove", module: m[1], fn: m[2], item: m[3] };
  return { kind: "other", line };
}

export interface LevelChange {
  module: string;
  function: string;
  add?: string;
  edit?: string;
  delete?: string;
  inquire?: string;
}

export interface CustomizeChange {
  module: string;
  function: string;
  /** The whole list the function's Customize must hold afterwards. */
  items: string[];
}

export interface KeyToMake {
  member: string;
  description: string;
  /** apiKeys.<member>, relative to the project namespace. */
  configPath: string;
  stack: string;
}

export interface AdminPlan {
  integration: string;
  roleId?: number;
  levels: LevelChange[];
  customize: CustomizeChange[];
  key?: KeyToMake;
  /** Checklist lines no console call covers (shown to the person). */
  manual: string[];
}

/** The part of an integration's stack output the plan reads. */
export interface IntegrationStatus {
  roleId?: number;
  compliant?: boolean;
  actionsRequired?: string[];
  fingerprint?: string;
}

/**
 * What the admin does for one integration: every level and Customize line of its checklist, and a
 * key when none is verified and none has been handed over yet.
 */
export function planAdminPlay(it: ResolvedIntegration, status: IntegrationStatus, stack: string): AdminPlan {
  const plan: AdminPlan = { integration: it.name, roleId: status.roleId, levels: [], customize: [], manual: [] };
  const levels = new Map<string, LevelChange>();
  const customize = new Map<string, CustomizeChange>();
  for (const line of status.actionsRequired ?? []) {
    const a = parseAction(line);
    if (a.kind === "level") {
      const k = `${normalizeLabel(a.module)}|${normalizeLabel(a.fn)}`;
      const change = levels.get(k) ?? { module: a.module, function: a.fn };
      change[a.field] = a.to;
      levels.set(k, change);
    } else if (a.kind === "allow" || a.kind === "remove") {
      const k = `${normalizeLabel(a.module)}|${normalizeLabel(a.fn)}`;
      const change = customize.get(k) ?? { module: a.module, function: a.fn, items: declaredCustomize(it, a.module, a.fn) ?? [] };
      if (a.kind === "allow" && !change.items.some((i) => normalizeLabel(i) === normalizeLabel(a.item))) change.items.push(a.item);
      if (a.kind === "remove") change.items = change.items.filter((i) => normalizeLabel(i) !== normalizeLabel(a.item));
      customize.set(k, change);
    } else if (!isKeyStep(line, it)) {
      plan.manual.push(line);
    }
  }
  plan.levels = [...levels.values()];
  plan.customize = [...customize.values()];
  const verified = typeof status.fingerprint === "string" && status.fingerprint !== "";
  if (!verified && it.key.publicKey === undefined) {
    plan.key = { member: it.member.identifier, description: it.key.description, configPath: it.key.configPath, stack };
  }
  if ((plan.levels.length > 0 || plan.customize.length > 0) && plan.roleId === undefined) {
    plan.manual.push(`${it.name}: the stack output has no roleId, so the role's levels cannot be set from here`);
    plan.levels = [];
    plan.customize = [];
  }
  return plan;
}

function declaredCustomize(it: ResolvedIntegration, module: string, fn: string): string[] | undefined {
  for (const [m, fns] of Object.entries(it.role?.permissions ?? {})) {
    if (normalizeLabel(m) !== normalizeLabel(module)) continue;
    for (const [f, spec] of Object.entries(fns)) if (normalizeLabel(f) === normalizeLabel(fn)) return spec.customize ? [...spec.customize] : undefined;
  }
  return undefined;
}

/** The ApiKey's hand-over steps: the key step below covers them. */
function isKeyStep(line: string, it: ResolvedIntegration): boolean {
  return line.startsWith(`${it.member.identifier}: create an API key`) || /^\s+(\d\.|pulumi config set)/.test(line);
}

/** `pulumi config set` argument lists that hand a key pair to the stack (as handOverSteps prints them). */
export function handOverCommands(key: Pick<KeyToMake, "configPath" | "stack">, publicKey: string, privateKey: string): string[][] {
  return [
    ["config", "set", "--stack", key.stack, "--path", `${key.configPath}.publicKey`, publicKey],
    ["config", "set", "--stack", key.stack, "--path", "--secret", `${key.configPath}.privateKey`, privateKey],
  ];
}

/** The console calls the admin play needs (EmulatorConsole has them). */
export interface AdminConsole {
  setLevels(co: string, roleId: number, changes: LevelChange[]): Promise<unknown>;
  setCustomize(co: string, roleId: number, module: string, fn: string, items: string[]): Promise<unknown>;
  createKey(co: string, identifier: string, description: string): Promise<{ publicKey: string; privateKey: string }>;
}

/**
 * Carries a plan out: levels, Customize lists, then the key, handed over through `handOver`
 * (the sandbox runs the pulumi commands; tests set the config). Returns what was done, line by line.
 */
export async function carryOut(
  plan: AdminPlan,
  console: AdminConsole,
  companyId: string,
  handOver: (commands: string[][]) => Promise<void>,
): Promise<string[]> {
  const done: string[] = [];
  if (plan.roleId !== undefined && plan.levels.length > 0) {
    await console.setLevels(companyId, plan.roleId, plan.levels);
    for (const c of plan.levels) {
      const set = (["add", "edit", "delete", "inquire"] as const).filter((f) => c[f] !== undefined).map((f) => `${f} ${c[f]}`);
      done.push(`${c.module} › ${c.function}: ${set.join(", ")}`);
    }
  }
  for (const c of plan.customize) {
    await console.setCustomize(companyId, plan.roleId!, c.module, c.function, c.items);
    done.push(`${c.module} › ${c.function}: Customize = ${c.items.length ? c.items.map((i) => `"${i}"`).join(", ") : "(empty)"}`);
  }
  if (plan.key) {
    const made = await console.createKey(companyId, plan.key.member, plan.key.description);
    await handOver(handOverCommands(plan.key, made.publicKey, made.privateKey));
    done.push(`${plan.key.member}: API key "${plan.key.description}" created and handed over at ${plan.key.configPath}`);
  }
  return done;
}

/**
 * `pulumi config set [--path] [--secret] <key> <value>` applied to a program's config map
 * ("ns:key" -> string, objects as JSON) — what the CLI would write, for runs without the CLI.
 */
export function applyConfigSet(
  config: Record<string, string>,
  secretKeys: string[],
  project: string,
  args: string[],
): void {
  const rest = args[0] === "config" && args[1] === "set" ? args.slice(2) : args;
  const positional: string[] = [];
  let usePath = false;
  let secret = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--path") usePath = true;
    else if (rest[i] === "--secret") secret = true;
    else if (rest[i] === "--stack" || rest[i] === "-s") i++;
    else positional.push(rest[i]);
  }
  const [keyPath, value] = positional;
  const segments = usePath ? parsePath(keyPath) : [keyPath];
  const head = String(segments[0]);
  const key = head.includes(":") ? head : `${project}:${head}`;
  if (segments.length === 1) config[key] = value;
  else {
    const root = config[key] !== undefined ? (JSON.parse(config[key]) as Record<string, unknown>) : {};
    let at: Record<string, unknown> = root;
    for (const s of segments.slice(1, -1)) at = (at[String(s)] ??= {}) as Record<string, unknown>;
    at[String(segments[segments.length - 1])] = value;
    config[key] = JSON.stringify(root);
  }
  if (secret && !secretKeys.includes(key)) secretKeys.push(key);
}

/** `a.b[0]["c d"]` -> ["a", "b", 0, "c d"]. */
export function parsePath(p: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p))) out.push(m[1] !== undefined ? m[1] : m[2] !== undefined ? Number(m[2]) : JSON.parse(`"${m[3]}"`));
  return out;
}
