// The REST routes under /{codebase}/apis/3.0: auth, permission checks and the handlers.
import type { IncomingHttpHeaders } from "node:http";
import { DEPARTMENTS, FUNCTION_BY_KEY, GUARDS, LOCATIONS, Level, SETUP_SCREENS, STRUCTURE_LEVELS, TIME_ZONE_SETUPS } from "./catalog";
import { ApiError, Reply, invalid, notFound, nowIso } from "./http-util";
import { Params, countReply, listReply } from "./query";
import { MemberRec, RoleRec, Store, Tenant, makeRole, mintKey, nextId } from "./store";
import { MEMBER_READONLY, MEMBER_WRITABLE, applyPatch, buildMember, memberEditable, validateRole } from "./validate";
import { apiMemberView, customizeItemsView, memberView, mySecurityView, roleInfoView, roleView, settingView } from "./views";

type Obj = Record<string, unknown>;
export interface ApiRequest {
  store: Store; method: string; apiPath: string; url: URL; params: Params; headers: IncomingHttpHeaders;
  body: unknown; base: string; // base = absolute ".../apis/3.0" URL for hrefs
}
interface Ctx extends ApiRequest { tenant: Tenant; member: MemberRec; by: string }
type Handler = (c: Ctx, args: string[]) => Reply;
interface Route { segs: string[]; guard?: string; methods: Record<string, Handler> }

export const TOKEN_TTL_MS = 4 * 3600 * 1000;

/** Company id named by a Basic auth header (for logs and fault matching), without validating it. */
export function companyOfAuth(headers: IncomingHttpHeaders): string {
  const m = /^basic\s+(.+)$/i.exec(headers.authorization ?? "");
  if (!m) return "";
  const user = Buffer.from(m[1], "base64").toString("utf8").split(":")[0];
  return user.includes("+") ? user.slice(0, user.indexOf("+")) : "";
}

export function authenticate(store: Store, headers: IncomingHttpHeaders): { tenant: Tenant; member: MemberRec } {
  const unauthorized = (message: string) => new ApiError(401, "Unauthorized", message);
  if (!String(headers.clientid ?? "").trim()) throw unauthorized("A clientId header is required on every request (register one at developer.connectwise.com)");
  const m = /^basic\s+(.+)$/i.exec(headers.authorization ?? "");
  if (!m) throw unauthorized("No credentials were supplied: expected Authorization: Basic base64(company+publicKey:privateKey)");
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const plus = user.indexOf("+");
  const tenant = plus > 0 ? store.tenant(user.slice(0, plus)) : undefined;
  const key = tenant?.keys.find((k) => k.publicKey === user.slice(plus + 1) && k.privateKey === decoded.slice(colon + 1));
  if (!tenant || !key || colon < 0) throw unauthorized("UserNotAuthenticated: the company, public key or private key is not valid");
  if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) throw unauthorized("UserNotAuthenticated: the token has expired");
  const member = tenant.members.find((x) => x.id === key.memberId);
  if (!member || member.inactiveFlag) throw unauthorized("UserNotAuthenticated: the member of this API key is inactive or does not exist");
  return { tenant, member };
}

const NEED: Record<string, keyof RoleRec["settings"][number] & ("add" | "edit" | "delete" | "inquire")> = {
  GET: "inquire", POST: "add", PATCH: "edit", PUT: "edit", DELETE: "delete",
};

function checkPermission(c: Ctx, guard: string): void {
  const need = NEED[c.method];
  const role = c.tenant.roles.find((r) => r.id === c.member.securityRole?.id);
  const level: Level = role?.settings.find((s) => s.fn === guard)?.[need] ?? "None";
  if (level !== "None") return;
  const f = FUNCTION_BY_KEY.get(guard)!;
  const label = `${f.moduleDescription} › ${f.moduleFunctionDescription}`;
  const message = `You do not have permission for this action: ${label} requires ${need} level My or All (the security role '${role?.name ?? "none"}' has None)`;
  throw new ApiError(403, "Forbidden", message, [{ code: "InsufficientPermission", message, resource: label, field: `${need}Level` }]);
}

// ---- helpers --------------------------------------------------------------------------------
const roleOf = (c: Ctx, id: string) => c.tenant.roles.find((r) => r.id === Number(id)) ?? (() => { throw notFound(`Security role ${id} was not found`); })();
const memberOf = (c: Ctx, id: string, apiOnly = false) =>
  c.tenant.members.find((m) => m.id === Number(id) && (!apiOnly || m.licenseClass === "A")) ?? (() => { throw notFound(`Member ${id} was not found`); })();
const list = (items: Obj[]): Handler => (c) => listReply(items, c.params, c.url, c.headers);
const one = (items: Obj[], what: string): Handler => (_c, [id]) => ({ status: 200, body: items.find((x) => x.id === Number(id)) ?? (() => { throw notFound(`${what} ${id} was not found`); })() });
const touch = (c: Ctx, m: { lastUpdated: string; updatedBy: string }) => { m.lastUpdated = nowIso(); m.updatedBy = c.by; };

function saveMember(c: Ctx, m: MemberRec, fields: Partial<MemberRec>): void {
  for (const k of MEMBER_WRITABLE) delete (m as unknown as Obj)[k];
  Object.assign(m, fields);
  touch(c, m);
  c.store.save();
}

function patchMember(c: Ctx, m: MemberRec, resource: string): void {
  const writable = MEMBER_WRITABLE.filter((f) => m.licenseClass === "F" || (f !== "firstName" && f !== "lastName"));
  const next = applyPatch(memberEditable(m), c.body, writable, MEMBER_READONLY, resource);
  saveMember(c, m, buildMember(c.tenant, next, m.licenseClass, resource, m.id));
}

function deleteRole(t: Tenant, role: RoleRec, force: boolean): void {
  if (role.builtIn) throw invalid("securityRole", [{ code: "Protected", message: `The built-in ${role.name} role cannot be deleted`, resource: "securityRole", field: "id" }]);
  const users = t.members.filter((m) => m.securityRole?.id === role.id);
  if (users.length && !force) {
    const message = `Security role '${role.name}' is in use by member(s): ${users.map((u) => u.identifier).join(", ")}`;
    throw invalid("securityRole", [{ code: "InUse", message, resource: "securityRole", field: "id" }]);
  }
  t.roles.splice(t.roles.indexOf(role), 1);
}
export { deleteRole };

// ---- route table ----------------------------------------------------------------------------
const routes: Route[] = [];
function route(pattern: string, guard: string | undefined, methods: Record<string, Handler>): void {
  routes.push({ segs: pattern.toLowerCase().split("/"), guard, methods });
}

route("system/info", undefined, {
  GET: () => ({ status: 200, body: { version: "v2025.1.10000", isCloud: false, serverTimeZone: "Eastern Standard Time", licenseBits: [] } }),
});

// Security roles (no PUT/PATCH) and their read-only settings.
const roles = (c: Ctx) => c.tenant.roles.map((r) => roleView(r, c.base));
const roleInfos = (c: Ctx) => c.tenant.roles.map((r) => roleInfoView(r, c.base));
route("system/securityroles", GUARDS.securityRoles, {
  GET: (c) => list(roles(c))(c, []),
  POST: (c) => {
    const v = validateRole(c.tenant, c.body);
    const role = Object.assign(makeRole(c.tenant, v.name, c.by), v);
    c.tenant.roles.push(role);
    c.store.save();
    return { status: 201, body: roleView(role, c.base) };
  },
});
route("system/securityroles/count", GUARDS.securityRoles, { GET: (c) => countReply(roles(c), c.params) });
route("system/securityroles/info", GUARDS.securityRoles, { GET: (c) => list(roleInfos(c))(c, []) });
route("system/securityroles/info/count", GUARDS.securityRoles, { GET: (c) => countReply(roleInfos(c), c.params) });
route("system/securityroles/:id", GUARDS.securityRoles, {
  GET: (c, [id]) => ({ status: 200, body: roleView(roleOf(c, id), c.base) }),
  DELETE: (c, [id]) => { deleteRole(c.tenant, roleOf(c, id), false); c.store.save(); return { status: 204 }; },
});
route("system/securityroles/:id/info", GUARDS.securityRoles, { GET: (c, [id]) => ({ status: 200, body: roleInfoView(roleOf(c, id), c.base) }) });
const settings = (c: Ctx, id: string) => { const r = roleOf(c, id); return r.settings.map((s) => settingView(r, s, c.base)); };
route("system/securityroles/:id/settings", GUARDS.securityRoles, { GET: (c, [id]) => list(settings(c, id))(c, []) });
route("system/securityroles/:id/settings/count", GUARDS.securityRoles, { GET: (c, [id]) => countReply(settings(c, id), c.params) });
route("system/securityroles/:id/settings/:id", GUARDS.securityRoles, { GET: (c, [id, sid]) => one(settings(c, id), "Security role setting")(c, [sid]) });

// API members (no DELETE) and members.
const apiMembers = (c: Ctx) => c.tenant.members.filter((m) => m.licenseClass === "A").map((m) => apiMemberView(m, c.base));
const members = (c: Ctx) => c.tenant.members.map((m) => memberView(m, c.base));
route("system/apimembers", GUARDS.members, {
  GET: (c) => list(apiMembers(c))(c, []),
  POST: (c) => {
    const fields = buildMember(c.tenant, c.body, "A", "apiMember");
    const m = { ...fields, id: nextId(c.tenant, "member"), licenseClass: "A", lastUpdated: nowIso(), updatedBy: c.by } as MemberRec;
    c.tenant.members.push(m);
    c.store.save();
    return { status: 201, body: apiMemberView(m, c.base) };
  },
});
route("system/apimembers/count", GUARDS.members, { GET: (c) => countReply(apiMembers(c), c.params) });
route("system/apimembers/default", GUARDS.members, {
  GET: () => ({ status: 200, body: {
    id: 0, inactiveFlag: false, timeZone: { id: TIME_ZONE_SETUPS[0].id, name: TIME_ZONE_SETUPS[0].name },
    structureLevel: STRUCTURE_LEVELS[0], securityLocation: { id: LOCATIONS[0].id, name: LOCATIONS[0].name },
    defaultLocation: { id: LOCATIONS[0].id, name: LOCATIONS[0].name }, defaultDepartment: DEPARTMENTS[0],
    salesDefaultLocation: { id: LOCATIONS[0].id, name: LOCATIONS[0].name },
  } }),
});
route("system/apimembers/:id", GUARDS.members, {
  GET: (c, [id]) => ({ status: 200, body: apiMemberView(memberOf(c, id, true), c.base) }),
  PATCH: (c, [id]) => { const m = memberOf(c, id, true); patchMember(c, m, "apiMember"); return { status: 200, body: apiMemberView(m, c.base) }; },
  PUT: (c, [id]) => {
    const m = memberOf(c, id, true);
    saveMember(c, m, buildMember(c.tenant, c.body, "A", "apiMember", m.id));
    return { status: 200, body: apiMemberView(m, c.base) };
  },
});
route("system/members", GUARDS.members, { GET: (c) => list(members(c))(c, []) });
route("system/members/count", GUARDS.members, { GET: (c) => countReply(members(c), c.params) });
route("system/members/:id", GUARDS.members, {
  GET: (c, [id]) => ({ status: 200, body: memberView(memberOf(c, id), c.base) }),
  PATCH: (c, [id]) => { const m = memberOf(c, id); patchMember(c, m, "member"); return { status: 200, body: memberView(m, c.base) }; },
  PUT: (c, [id]) => {
    const m = memberOf(c, id);
    saveMember(c, m, buildMember(c.tenant, c.body, m.licenseClass, "member", m.id));
    return { status: 200, body: memberView(m, c.base) };
  },
});
route("system/members/:id/deactivate", GUARDS.members, {
  POST: (c, [id]) => {
    const m = memberOf(c, id);
    m.inactiveFlag = true;
    m.inactiveDate ??= nowIso();
    touch(c, m);
    c.store.save();
    return { status: 204 };
  },
});
route("system/members/:any/tokens", GUARDS.members, {
  POST: (c, [ident]) => {
    const m = c.tenant.members.find((x) => x.identifier.toLowerCase() === decodeURIComponent(ident).toLowerCase());
    if (!m) throw notFound(`Member ${ident} was not found`);
    if (m.inactiveFlag) throw invalid("token", [{ code: "Inactive", message: `Member ${m.identifier} is inactive`, resource: "token", field: "memberIdentifier" }]);
    const key = mintKey(c.tenant, m.id, `impersonation token minted by ${c.by}`, "token", TOKEN_TTL_MS);
    c.store.save();
    return { status: 200, body: { publicKey: key.publicKey, privateKey: key.privateKey, expiration: key.expiresAt } };
  },
});

// Lookups behind System › Table Setup.
const lookups: Array<[string, Obj[], string]> = [
  ["system/departments", DEPARTMENTS, "Department"],
  ["system/locations", LOCATIONS, "Location"],
  ["system/timezonesetups", TIME_ZONE_SETUPS, "Time zone setup"],
  ["system/mycompany/corporatestructurelevels", STRUCTURE_LEVELS, "Corporate structure level"],
  ["system/setupscreens", SETUP_SCREENS as unknown as Obj[], "Setup screen"],
];
for (const [p, items, what] of lookups) {
  route(p, GUARDS.tableSetup, { GET: list(items) });
  route(`${p}/count`, GUARDS.tableSetup, { GET: (c) => countReply(items, c.params) });
  route(`${p}/:id`, GUARDS.tableSetup, { GET: one(items, what) });
}

// The caller's own security (always allowed).
route("system/mysecurity", undefined, { GET: (c) => list(mySecurityView(c.tenant, c.member))(c, []) });
route("system/mysecurity/count", undefined, { GET: (c) => countReply(mySecurityView(c.tenant, c.member), c.params) });
route("system/mysecurity/customizeitems", undefined, { GET: (c) => list(customizeItemsView(c.tenant, c.member))(c, []) });
route("system/mysecurity/customizeitems/count", undefined, { GET: (c) => countReply(customizeItemsView(c.tenant, c.member), c.params) });

function match(apiPath: string): { route: Route; args: string[] } | undefined {
  const segs = apiPath.split("/").filter(Boolean).map((s) => s.toLowerCase());
  for (const r of routes) {
    if (r.segs.length !== segs.length) continue;
    const args: string[] = [];
    const ok = r.segs.every((p, i) => {
      if (p === ":id") { if (!/^\d+$/.test(segs[i])) return false; args.push(segs[i]); return true; }
      if (p === ":any") { args.push(segs[i]); return true; }
      return p === segs[i];
    });
    if (ok) return { route: r, args };
  }
  return undefined;
}

/** Handles one API request (after latency and faults): auth, 404/405, permission, handler. */
export function handleApi(req: ApiRequest): Reply {
  const { tenant, member } = authenticate(req.store, req.headers);
  const hit = match(req.apiPath);
  if (!hit) throw notFound(`No resource matches ${req.apiPath}`);
  const handler = hit.route.methods[req.method];
  if (!handler) {
    throw new ApiError(405, "MethodNotAllowed", `The requested resource does not support http method '${req.method}'.`, [], { Allow: Object.keys(hit.route.methods).join(", ") });
  }
  const c: Ctx = { ...req, tenant, member, by: member.identifier };
  if (hit.route.guard) checkPermission(c, hit.route.guard);
  return handler(c, hit.args);
}
