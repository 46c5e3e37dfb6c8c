// List query parameters: conditions, orderBy, fields, page/pageSize (navigable, with an RFC 5988 Link
// header) and forward-only paging (`pagination-type: forward-only` + pageId).
import { ConditionSyntaxError, evaluate, getPath, parseConditions } from "./conditions";
import { ApiError, Reply } from "./http-util";

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 1000;

/** Query parameters by lower-cased name (the real API is case-insensitive about them). */
export type Params = Map<string, string>;

export function paramsOf(url: URL): Params {
  const m = new Map<string, string>();
  for (const [k, v] of url.searchParams) m.set(k.toLowerCase(), v);
  return m;
}

type Obj = Record<string, unknown>;

export function filter(items: Obj[], params: Params): Obj[] {
  const src = params.get("conditions");
  if (!src || !src.trim()) return items;
  let tree;
  try {
    tree = parseConditions(src);
  } catch (e) {
    if (!(e instanceof ConditionSyntaxError)) throw e;
    throw new ApiError(400, "InvalidObject", `conditions is invalid: ${e.message}`, [
      { code: "InvalidSyntax", message: e.message, resource: "conditions", field: "conditions" },
    ]);
  }
  return items.filter((it) => evaluate(tree, it));
}

function cmpValues(a: unknown, b: unknown): number {
  if (a == null && b == null) return 0;
  if (a == null) return -1;
  if (b == null) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return String(a).toLowerCase().localeCompare(String(b).toLowerCase());
}

export function order(items: Obj[], params: Params): Obj[] {
  const spec = params.get("orderby");
  const keys = (spec ?? "").split(",").map((s) => s.trim()).filter(Boolean).map((part) => {
    const m = /^([A-Za-z0-9_/]+)(?:\s+(asc|desc))?$/i.exec(part);
    if (!m) throw new ApiError(400, "InvalidObject", `orderBy is invalid: '${part}'`, [
      { code: "InvalidSyntax", message: `Cannot parse orderBy clause '${part}'`, resource: "orderBy", field: "orderBy" },
    ]);
    return { path: m[1].split("/"), dir: m[2]?.toLowerCase() === "desc" ? -1 : 1 };
  });
  keys.push({ path: ["id"], dir: 1 }); // stable tie-break, as the database's clustered order
  return [...items].sort((x, y) => {
    for (const k of keys) {
      const c = cmpValues(getPath(x, k.path), getPath(y, k.path));
      if (c !== 0) return c * k.dir;
    }
    return 0;
  });
}

export function project(item: Obj, params: Params): Obj {
  const spec = params.get("fields");
  if (!spec || !spec.trim()) return item;
  const out: Obj = {};
  for (const f of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const path = f.split("/").filter(Boolean);
    const v = getPath(item, path);
    if (v === undefined) continue;
    let cur = out;
    path.forEach((seg, i) => {
      if (i === path.length - 1) cur[seg] = v;
      else cur = (cur[seg] ??= {}) as Obj;
    });
  }
  return out;
}

function intParam(params: Params, name: string, dflt: number): number {
  const raw = params.get(name.toLowerCase());
  if (raw === undefined || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ApiError(400, "InvalidObject", `${name} must be an integer`, [
    { code: "InvalidValue", message: `${name} must be an integer`, resource: name, field: name },
  ]);
  return n;
}

export function pageSizeOf(params: Params): number {
  return Math.min(MAX_PAGE_SIZE, Math.max(1, intParam(params, "pageSize", DEFAULT_PAGE_SIZE)));
}

/** Builds a list reply: filter, order, page, project, with a Link header for the available pages. */
export function listReply(items: Obj[], params: Params, url: URL, headers: Record<string, string | string[] | undefined>): Reply {
  const filtered = filter(items, params);
  const pageSize = pageSizeOf(params);
  const link = (p: Record<string, string | number>) => {
    const u = new URL(url.toString());
    for (const [k, v] of Object.entries(p)) {
      for (const key of [...u.searchParams.keys()]) if (key.toLowerCase() === k.toLowerCase()) u.searchParams.delete(key);
      u.searchParams.set(k, String(v));
    }
    return u.toString();
  };
  const forwardOnly = String(headers["pagination-type"] ?? "").toLowerCase() === "forward-only";
  if (forwardOnly) {
    if (params.get("orderby")) throw new ApiError(400, "InvalidObject", "orderBy is not supported with forward-only pagination");
    const pageId = intParam(params, "pageId", 0);
    const rest = order(filtered.filter((it) => Number(it.id) > pageId), new Map());
    const page = rest.slice(0, pageSize);
    const h: Record<string, string> = {};
    if (rest.length > pageSize) h.Link = `<${link({ pageId: Number(page[page.length - 1].id), pageSize })}>; rel="next"`;
    return { status: 200, headers: h, body: page.map((it) => project(it, params)) };
  }
  const page = Math.max(1, intParam(params, "page", 1));
  const sorted = order(filtered, params);
  const last = Math.max(1, Math.ceil(sorted.length / pageSize));
  const rels: string[] = [];
  if (page > 1) {
    rels.push(`<${link({ page: Math.min(page - 1, last), pageSize })}>; rel="prev"`);
    rels.push(`<${link({ page: 1, pageSize })}>; rel="first"`);
  }
  if (page < last) {
    rels.push(`<${link({ page: page + 1, pageSize })}>; rel="next"`);
    rels.push(`<${link({ page: last, pageSize })}>; rel="last"`);
  }
  const body = sorted.slice((page - 1) * pageSize, page * pageSize).map((it) => project(it, params));
  return { status: 200, headers: rels.length ? { Link: rels.join(", ") } : {}, body };
}

export function countReply(items: Obj[], params: Params): Reply {
  return { status: 200, body: { count: filter(items, params).length } };
}
