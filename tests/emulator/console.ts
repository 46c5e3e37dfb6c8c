// The admin console (/__console): stands in for the Manage UI (levels, customize lists, API keys,
// out-of-band changes) and is the test bench (tenants, faults, latency, request log).
import type { IncomingHttpHeaders } from "node:http";
import { FUNCTIONS, Level, SETUP_SCREENS, findFunction } from "./catalog";
import { Faults } from "./faults";
import { ApiError, Reply, ValidationError, invalid, isRecord, notFound, nowIso } from "./http-util";
import { RequestLog } from "./log";
import { MEMBER_REFS, MemberRec, Store, Tenant, makeRole, mintKey, nextId } from "./store";
import { deleteRole } from "./api";
import { resolveRef, validateRole } from "./validate";
import { memberView, roleView } from "./views";

export interface ConsoleDeps { store: Store; faults: Faults; log: RequestLog; setLatency(ms: number): void }
export interface ConsoleRequest { method: string; path: string; headers: IncomingHttpHeaders; body: unknown; base: string }

type Obj = Record<string, unknown>;
type Handler = (d: ConsoleDeps, r: ConsoleRequest, args: string[]) => Reply;

const bad = (message: string) => new ApiError(400, "InvalidObject", message);
const LEVELS: Level[] = ["None", "My", "All"];
const LEVEL_KEYS = ["add", "edit", "delete", "inquire"] as const;

function tenantOf(d: ConsoleDeps, co: string): Tenant {
  const t = d.store.tenant(decodeURIComponent(co));
  if (!t) throw notFound(`Company ${co} does not exist`);
  return t;
}
function roleOf(t: Tenant, id: string) {
  const r = t.roles.find((x) => x.id === Number(id));
  if (!r) throw notFound(`Security role ${id} was not found`);
  return r;
}
function memberByIdentifier(t: Tenant, ident: string): MemberRec {
  const m = t.members.find((x) => x.identifier.toLowerCase() === decodeURIComponent(ident).toLowerCase());
  if (!m) throw notFound(`Member ${ident} was not found`);
  return m;
}
const body = (r: ConsoleRequest): Obj => (isRecord(r.body) ? r.body : {});

const routes: Array<[method: string, pattern: RegExp, handler: Handler]> = [
  ["POST", /^companies$/, (d, r) => {
    const { companyId } = body(r);
    if (companyId !== undefined && (typeof companyId !== "string" || !/^[A-Za-z0-9_.-]{1,50}$/.test(companyId))) throw bad("companyId must be 1-50 letters, digits, '_', '.' or '-'");
    if (typeof companyId === "string" && d.store.tenant(companyId)) throw new ApiError(409, "ObjectExists", `Company ${companyId} already exists`);
    const t = d.store.addCompany(companyId as string | undefined);
    return { status: 201, body: d.store.adminCredentials(t) };
  }],
  ["GET", /^companies\/([^/]+)\/dump$/, (d, _r, [co]) => {
    const t = tenantOf(d, co);
    return { status: 200, body: { ...t, keys: t.keys.map(({ privateKey, ...k }) => (void privateKey, k)) } };
  }],
  ["PUT", /^companies\/([^/]+)\/roles\/(\d+)\/levels$/, (d, r, [co, id]) => {
    const t = tenantOf(d, co);
    const role = roleOf(t, id);
    const changes = body(r).changes;
    if (!Array.isArray(changes)) throw bad("changes must be an array of {module, function, add?, edit?, delete?, inquire?}");
    const unknown: string[] = [];
    const planned: Array<[string, Obj]> = [];
    for (const ch of changes as Obj[]) {
      const f = findFunction(String(ch?.module ?? ""), String(ch?.function ?? ""));
      if (!f) { unknown.push(`${ch?.module} › ${ch?.function}`); continue; }
      for (const k of LEVEL_KEYS) if (ch[k] !== undefined && !LEVELS.includes(ch[k] as Level)) throw bad(`${f.moduleDescription} › ${f.moduleFunctionDescription}: ${k} must be None, My or All`);
      planned.push([f.key, ch]);
    }
    if (unknown.length) throw bad(`Unknown module/function: ${unknown.join(", ")}`);
    for (const [fn, ch] of planned) {
      const s = role.settings.find((x) => x.fn === fn)!;
      for (const k of LEVEL_KEYS) if (ch[k] !== undefined) s[k] = ch[k] as Level;
    }
    role.lastUpdated = nowIso();
    role.updatedBy = "console";
    d.store.save();
    return { status: 200, body: { updated: planned.length } };
  }],
  ["PUT", /^companies\/([^/]+)\/roles\/(\d+)\/customize$/, (d, r, [co, id]) => {
    const t = tenantOf(d, co);
    const role = roleOf(t, id);
    const { module, function: fn, items } = body(r);
    const f = findFunction(String(module ?? ""), String(fn ?? ""));
    if (!f) throw bad(`Unknown module/function: ${module} › ${fn}`);
    if (!f.customFlag) throw bad(`${f.moduleDescription} › ${f.moduleFunctionDescription} has no Customize list`);
    if (!Array.isArray(items)) throw bad("items must be an array of setup screen descriptions such as \"Agreements / Batch\"");
    const norm = (s: string) => s.toLowerCase().replace(/\s*\/\s*/g, " / ").trim();
    const screens = items.map((i) => SETUP_SCREENS.find((s) => norm(s.description) === norm(String(i))));
    const missing = items.filter((_i, n) => !screens[n]);
    if (missing.length) throw bad(`Unknown customize item(s): ${missing.join(", ")}`);
    role.customize[f.key] = [...new Set(screens.map((s) => s!.id))].map((screenId) => ({ id: nextId(t, "custom"), screenId }));
    role.lastUpdated = nowIso();
    d.store.save();
    return { status: 200, body: { items: role.customize[f.key].length } };
  }],
  ["POST", /^companies\/([^/]+)\/roles$/, (d, r, [co]) => {
    const t = tenantOf(d, co);
    const v = validateRole(t, body(r));
    const role = makeConsoleRole(t, v.name);
    d.store.save();
    return { status: 201, body: roleView(role, r.base) };
  }],
  ["DELETE", /^companies\/([^/]+)\/roles\/(\d+)$/, (d, _r, [co, id]) => {
    const t = tenantOf(d, co);
    deleteRole(t, roleOf(t, id), true);
    d.store.save();
    return { status: 204 };
  }],
  ["PATCH", /^companies\/([^/]+)\/members\/(\d+)$/, (d, r, [co, id]) => {
    const t = tenantOf(d, co);
    const m = t.members.find((x) => x.id === Number(id));
    if (!m) throw notFound(`Member ${id} was not found`);
    const fields = { ...body(r) };
    delete fields.id;
    // As the UI would: every reference is stored with its name (an unknown one is refused).
    const errors: ValidationError[] = [];
    for (const field of MEMBER_REFS) if (field in fields) fields[field] = resolveRef(t, field, fields[field], "member", errors);
    if (errors.length > 0) throw invalid("member", errors);
    Object.assign(m, fields);
    if (fields.inactiveFlag === true && !m.inactiveDate) m.inactiveDate = nowIso();
    if (fields.inactiveFlag === false) delete m.inactiveDate;
    m.lastUpdated = nowIso();
    m.updatedBy = "console";
    d.store.save();
    return { status: 200, body: memberView(m, r.base) };
  }],
  ["DELETE", /^companies\/([^/]+)\/members\/(\d+)$/, (d, _r, [co, id]) => {
    const t = tenantOf(d, co);
    const i = t.members.findIndex((x) => x.id === Number(id));
    if (i < 0) throw notFound(`Member ${id} was not found`);
    const [m] = t.members.splice(i, 1);
    t.keys = t.keys.filter((k) => k.memberId !== m.id);
    d.store.save();
    return { status: 204 };
  }],
  ["POST", /^companies\/([^/]+)\/members\/([^/]+)\/keys$/, (d, r, [co, ident]) => {
    const t = tenantOf(d, co);
    const m = memberByIdentifier(t, ident);
    const description = body(r).description;
    if (typeof description !== "string" || !description.trim()) throw bad("description is required");
    const k = mintKey(t, m.id, description);
    d.store.save();
    return { status: 201, body: { publicKey: k.publicKey, privateKey: k.privateKey, description: k.description, memberIdentifier: m.identifier } };
  }],
  ["GET", /^companies\/([^/]+)\/members\/([^/]+)\/keys$/, (d, _r, [co, ident]) => {
    const t = tenantOf(d, co);
    const m = memberByIdentifier(t, ident);
    const keys = t.keys.filter((k) => k.memberId === m.id && k.kind === "key")
      .map((k) => ({ publicKey: k.publicKey, description: k.description, memberIdentifier: m.identifier, createdAt: k.createdAt }));
    return { status: 200, body: keys };
  }],
  ["DELETE", /^companies\/([^/]+)\/keys\/([^/]+)$/, (d, _r, [co, pub]) => {
    const t = tenantOf(d, co);
    const i = t.keys.findIndex((k) => k.publicKey === decodeURIComponent(pub));
    if (i < 0) throw notFound(`API key ${pub} was not found`);
    t.keys.splice(i, 1);
    d.store.save();
    return { status: 204 };
  }],
  ["POST", /^faults$/, (d, r) => ({ status: 201, body: { id: d.faults.add(r.body).id } })],
  ["GET", /^faults$/, (d) => ({ status: 200, body: d.faults.list() })],
  ["DELETE", /^faults$/, (d) => { d.faults.clear(); return { status: 204 }; }],
  ["PUT", /^latency$/, (d, r) => {
    const ms = body(r).ms;
    if (typeof ms !== "number" || ms < 0) throw bad("ms must be a number >= 0");
    d.setLatency(ms);
    return { status: 200, body: { ms } };
  }],
  ["GET", /^log$/, (d) => ({ status: 200, body: d.log.snapshot() })],
  ["DELETE", /^log$/, (d) => { d.log.reset(); return { status: 204 }; }],
  ["GET", /^catalog$/, () => ({ status: 200, body: { functions: FUNCTIONS, setupScreens: SETUP_SCREENS } })],
];

function makeConsoleRole(t: Tenant, name: string) {
  const role = makeRole(t, name, "console");
  t.roles.push(role);
  return role;
}

export function handleConsole(d: ConsoleDeps, r: ConsoleRequest): Reply {
  if (r.headers["x-console-token"] !== d.store.consoleToken) {
    throw new ApiError(403, "Forbidden", "The console requires the x-console-token header; API keys are not accepted here");
  }
  const rest = r.path.replace(/^\/__console\/?/i, "").replace(/\/+$/, "");
  let pathMatched = false;
  for (const [method, pattern, handler] of routes) {
    const m = pattern.exec(rest);
    if (!m) continue;
    pathMatched = true;
    if (method === r.method) return handler(d, r, m.slice(1));
  }
  if (pathMatched) throw new ApiError(405, "MethodNotAllowed", `The console route does not support ${r.method}`);
  throw notFound(`No console route matches ${r.path}`);
}
