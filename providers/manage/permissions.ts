// The permission matrix as people write it (the UI's module and function labels, levels
// All | My | None, a Customize list), compared with what a role or a key really has.
// Matching is by description, never by hard-coded identifiers; unknown names get "did you mean".
import { z } from "zod";
import type { CustomizeItem, SecurityRoleSetting, SetupScreen } from "./client/schemas";
import { didYouMean, normalizeLabel } from "./suggest";

export type Level = "All" | "My" | "None";
export const LEVEL_FIELDS = ["add", "edit", "delete", "inquire"] as const;
export type LevelField = (typeof LEVEL_FIELDS)[number];
export interface FunctionSpec {
  add?: Level;
  edit?: Level;
  delete?: Level;
  inquire?: Level;
  customize?: string[];
}
export type PermissionMatrix = Record<string, Record<string, FunctionSpec>>;
export type MatchMode = "exact" | "atLeast";

const RANK: Record<Level, number> = { None: 0, My: 1, All: 2 };
const TITLE: Record<LevelField, string> = { add: "Add", edit: "Edit", delete: "Delete", inquire: "Inquire" };
const SETTING_FIELD: Record<LevelField, "addLevel" | "editLevel" | "deleteLevel" | "inquireLevel"> = {
  add: "addLevel",
  edit: "editLevel",
  delete: "deleteLevel",
  inquire: "inquireLevel",
};

/** Levels are accepted in any letter case and stored as the API writes them. */
export const levelSchema = () =>
  z
    .string({ error: "a level must be one of All, My, None" })
    .transform((s, ctx) => {
      const found = (["All", "My", "None"] as const).find((l) => l.toLowerCase() === s.trim().toLowerCase());
      if (!found) {
        ctx.addIssue({ code: "custom", message: `level "${s}" is not one of All, My, None` });
        return z.NEVER;
      }
      return found;
    });

export const functionSpecSchema = () =>
  z
    .object({
      add: levelSchema().optional(),
      edit: levelSchema().optional(),
      delete: levelSchema().optional(),
      inquire: levelSchema().optional(),
      customize: z.array(z.string().min(1)).optional(),
    })
    .strict();

export const permissionMatrixSchema = () =>
  z.record(z.string().min(1), z.record(z.string().min(1), functionSpecSchema()));

export interface Comparison {
  /** One line per change an admin must make, in the UI's words. */
  actions: string[];
  /** Names in the desired matrix that the tenant does not know. */
  unknown: string[];
  /** What the tenant has: every function with a level above None, plus every function asked about. */
  observed: PermissionMatrix;
}

interface Located {
  module: string;
  fn: string;
  setting: SecurityRoleSetting;
}

/** Finds each desired module/function among the tenant's settings. */
export function locate(desired: PermissionMatrix, settings: SecurityRoleSetting[]): { found: Located[]; unknown: string[] } {
  const modules = new Map<string, SecurityRoleSetting[]>();
  for (const s of settings) {
    const key = normalizeLabel(s.moduleDescription);
    if (!modules.has(key)) modules.set(key, []);
    modules.get(key)!.push(s);
  }
  const moduleNames = [...new Set(settings.map((s) => s.moduleDescription))];
  const found: Located[] = [];
  const unknown: string[] = [];
  for (const [module, functions] of Object.entries(desired)) {
    const inModule = modules.get(normalizeLabel(module));
    if (!inModule) {
      unknown.push(`${module}: unknown module "${module}", ${didYouMean(module, moduleNames)}`);
      continue;
    }
    for (const [fn, spec] of Object.entries(functions)) {
      const setting = inModule.find((s) => normalizeLabel(s.moduleFunctionDescription) === normalizeLabel(fn));
      if (!setting) {
        const names = inModule.map((s) => s.moduleFunctionDescription);
        unknown.push(`${module}.${fn}: unknown function "${fn}" in ${inModule[0].moduleDescription}, ${didYouMean(fn, names)}`);
        continue;
      }
      if (spec.customize && spec.customize.length > 0 && setting.customFlag === false) {
        unknown.push(`${module}.${fn}.customize: ${setting.moduleDescription} › ${setting.moduleFunctionDescription} has no Customize list in the UI`);
        continue;
      }
      found.push({ module, fn, setting });
    }
  }
  return { found, unknown };
}

function label(s: SecurityRoleSetting): string {
  return `${s.moduleDescription} › ${s.moduleFunctionDescription}`;
}

function levelOf(s: SecurityRoleSetting, f: LevelField): Level {
  return (s[SETTING_FIELD[f]] ?? "None") as Level;
}

/** Compares the levels of a role (its settings) or a key (mySecurity) with the desired matrix. */
export function compareLevels(desired: PermissionMatrix, settings: SecurityRoleSetting[], mode: MatchMode): Comparison {
  const { found, unknown } = locate(desired, settings);
  const actions: string[] = [];
  const wanted = new Map<number, FunctionSpec>();
  for (const { setting } of found) wanted.set(setting.id, specFor(desired, setting, found));
  for (const s of settings) {
    const spec = wanted.get(s.id);
    if (!spec && mode === "atLeast") continue;
    for (const f of LEVEL_FIELDS) {
      const now = levelOf(s, f);
      const want = spec?.[f] ?? (mode === "exact" ? "None" : undefined);
      if (want === undefined) continue;
      const ok = mode === "exact" ? now === want : RANK[now] >= RANK[want];
      if (!ok) actions.push(`${label(s)}: set ${TITLE[f]} to ${want} (now ${now})`);
    }
  }
  return { actions, unknown, observed: observedMatrix(settings, new Set(wanted.keys())) };
}

function specFor(desired: PermissionMatrix, setting: SecurityRoleSetting, found: Located[]): FunctionSpec {
  const at = found.find((x) => x.setting.id === setting.id)!;
  return desired[at.module][at.fn];
}

function observedMatrix(settings: SecurityRoleSetting[], asked: Set<number>): PermissionMatrix {
  const out: PermissionMatrix = {};
  for (const s of settings) {
    const levels = LEVEL_FIELDS.map((f) => [f, levelOf(s, f)] as const);
    if (!asked.has(s.id) && levels.every(([, l]) => l === "None")) continue;
    (out[s.moduleDescription] ??= {})[s.moduleFunctionDescription] = Object.fromEntries(levels) as FunctionSpec;
  }
  return out;
}

/** Lines for every Customize entry the matrix asks for; used while the list cannot be read. */
export function customizeLines(desired: PermissionMatrix, settings: SecurityRoleSetting[]): string[] {
  const { found } = locate(desired, settings);
  const lines: string[] = [];
  for (const { module, fn, setting } of found) {
    for (const item of desired[module][fn].customize ?? []) lines.push(`${label(setting)}: allow "${item}" under Customize`);
  }
  return lines;
}

/** The Customize entry a setup screen is shown as in the UI: "Category / Name". */
export function screenLabel(screen: SetupScreen): string {
  return screen.category ? `${screen.category} / ${screen.name}` : (screen.description ?? screen.name);
}

/**
 * The UI label ("Category / Name") of each customize item's `itemIdentifier`. An item is matched to
 * a setup screen by id, name or label, since the vendor does not document which one it carries.
 */
export function itemLabels(items: CustomizeItem[], screens: SetupScreen[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const { itemIdentifier } of items) {
    const screen = screens.find(
      (s) => String(s.id) === itemIdentifier || s.name === itemIdentifier || normalizeLabel(screenLabel(s)) === normalizeLabel(itemIdentifier),
    );
    labels[itemIdentifier] = screen ? screenLabel(screen) : itemIdentifier;
  }
  return labels;
}

/** Compares the Customize lists a key really has (its customizeItems, labelled) with the matrix. */
export function compareCustomize(
  desired: PermissionMatrix,
  settings: SecurityRoleSetting[],
  items: CustomizeItem[],
  labels: Record<string, string>,
  mode: MatchMode,
): string[] {
  const { found } = locate(desired, settings);
  const actions: string[] = [];
  for (const { module, fn, setting } of found) {
    const want = desired[module][fn].customize;
    if (want === undefined) continue;
    const key = `${setting.moduleIdentifier ?? ""}${setting.moduleFunctionIdentifier ?? ""}`.toLowerCase();
    const have = items.filter((i) => i.customizeIdentifier.toLowerCase() === key).map((i) => labels[i.itemIdentifier] ?? i.itemIdentifier);
    const haveSet = new Set(have.map(normalizeLabel));
    const wantSet = new Set(want.map(normalizeLabel));
    for (const w of want) if (!haveSet.has(normalizeLabel(w))) actions.push(`${label(setting)}: allow "${w}" under Customize`);
    if (mode === "exact") for (const h of have) if (!wantSet.has(normalizeLabel(h))) actions.push(`${label(setting)}: remove "${h}" from Customize`);
  }
  return actions;
}
