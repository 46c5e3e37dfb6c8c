// Validation of role and member bodies, reference resolution and PATCH operation application.
import { DEPARTMENTS, LOCATIONS, STRUCTURE_LEVELS, TIME_ZONE_SETUPS } from "./catalog";
import { ApiError, ValidationError, invalid, isRecord, nowIso } from "./http-util";
import { MEMBER_REFS, MemberRec, MemberRefField, Ref, Tenant } from "./store";

type Obj = Record<string, unknown>;
type Candidate = { id: number; name: string; identifier?: string };

function candidates(t: Tenant, field: MemberRefField): Candidate[] {
  switch (field) {
    case "securityRole": return t.roles;
    case "timeZone": return TIME_ZONE_SETUPS;
    case "structureLevel": return STRUCTURE_LEVELS;
    case "defaultDepartment": return DEPARTMENTS;
    default: return LOCATIONS;
  }
}

/** Resolves `{id}` / `{name}` / `{identifier}` (or a bare id) to a stored reference. */
export function resolveRef(t: Tenant, field: MemberRefField, input: unknown, resource: string, errors: ValidationError[]): Ref | undefined {
  if (input === null || input === undefined) return undefined;
  const spec: Obj = typeof input === "number" ? { id: input } : isRecord(input) ? input : {};
  const list = candidates(t, field);
  let hit: Candidate | undefined;
  if (spec.id !== undefined && spec.id !== null) hit = list.find((c) => c.id === Number(spec.id));
  else if (typeof spec.identifier === "string") hit = list.find((c) => c.identifier?.toLowerCase() === (spec.identifier as string).toLowerCase());
  else if (typeof spec.name === "string") hit = list.find((c) => c.name.toLowerCase() === (spec.name as string).toLowerCase());
  if (!hit) {
    const what = JSON.stringify(input);
    errors.push({ code: "InvalidReference", message: `${field} ${what} was not found`, resource, field });
    return undefined;
  }
  return field === "defaultDepartment" ? { id: hit.id, identifier: hit.identifier, name: hit.name } : { id: hit.id, name: hit.name };
}

const STRING_FIELDS: Record<string, number> = { identifier: 15, name: 30, firstName: 30, lastName: 30, emailAddress: 250, notes: 100000 };
export const MEMBER_WRITABLE = ["identifier", "name", "firstName", "lastName", "emailAddress", "inactiveFlag", "inactiveDate", "notes", ...MEMBER_REFS];
export const MEMBER_READONLY = ["id", "_info", "licenseClass"];

/** The writable fields of a member as a plain object (the PATCH/PUT starting point). */
export function memberEditable(m: MemberRec): Obj {
  const out: Obj = {};
  for (const k of MEMBER_WRITABLE) if ((m as unknown as Obj)[k] !== undefined) out[k] = (m as unknown as Obj)[k];
  return out;
}

/**
 * Validates a member body (POST/PUT, or the result of PATCH) and returns the fields to store.
 * Unknown fields are ignored as the real API does on POST/PUT.
 */
export function buildMember(t: Tenant, body: unknown, licenseClass: "A" | "F", resource: string, selfId?: number): Partial<MemberRec> {
  if (!isRecord(body)) throw new ApiError(400, "InvalidObject", `${resource} object is invalid: expected a JSON object`);
  const errors: ValidationError[] = [];
  const err = (field: string, code: string, message: string) => errors.push({ code, message, resource, field });
  const out: Obj = {};
  for (const [field, max] of Object.entries(STRING_FIELDS)) {
    const v = body[field];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string") { err(field, "InvalidType", `${field} must be a string`); continue; }
    if (v.length > max) err(field, "MaxLength", `${field} must be at most ${max} characters`);
    out[field] = v;
  }
  if (!out.identifier) err("identifier", "Required", "identifier is required");
  else if (!/^[A-Za-z0-9]+$/.test(out.identifier as string)) err("identifier", "InvalidCharacters", "identifier may contain only letters and digits");
  if (licenseClass === "A" && !out.name) err("name", "Required", "name is required");
  if (licenseClass === "F") {
    if (!out.firstName) err("firstName", "Required", "firstName is required");
    if (!out.lastName) err("lastName", "Required", "lastName is required");
    out.name = `${out.firstName ?? ""} ${out.lastName ?? ""}`.trim();
  } else {
    delete out.firstName;
    delete out.lastName;
  }
  const flag = body.inactiveFlag;
  if (flag !== undefined && flag !== null && typeof flag !== "boolean") err("inactiveFlag", "InvalidType", "inactiveFlag must be a boolean");
  out.inactiveFlag = flag === true;
  if (body.inactiveDate !== undefined && body.inactiveDate !== null) {
    if (typeof body.inactiveDate !== "string" || Number.isNaN(Date.parse(body.inactiveDate))) err("inactiveDate", "InvalidType", "inactiveDate must be a date");
    else out.inactiveDate = body.inactiveDate;
  }
  if (out.inactiveFlag && !out.inactiveDate) out.inactiveDate = nowIso();
  if (!out.inactiveFlag) out.inactiveDate = undefined;
  for (const field of MEMBER_REFS) out[field] = resolveRef(t, field, body[field], resource, errors);
  if (body.securityRole === undefined || body.securityRole === null) err("securityRole", "Required", "securityRole is required");
  if (errors.length) throw invalid(resource, errors);
  const ident = (out.identifier as string).toLowerCase();
  if (t.members.some((m) => m.id !== selfId && m.identifier.toLowerCase() === ident)) {
    throw invalid(resource, [{ code: "ObjectExists", message: "Member ID already in use.", resource, field: "identifier" }]);
  }
  return out as Partial<MemberRec>;
}

/** Applies `[{op, path, value}]` to an editable object; unknown or read-only paths are rejected. */
export function applyPatch(target: Obj, ops: unknown, writable: string[], readonly: string[], resource: string): Obj {
  const fail = (field: string, code: string, message: string): never => { throw invalid(resource, [{ code, message, resource, field }]); };
  if (!Array.isArray(ops) || ops.length === 0) fail("", "InvalidObject", "PATCH body must be a non-empty array of operations");
  const out: Obj = JSON.parse(JSON.stringify(target));
  for (const op of ops as unknown[]) {
    if (!isRecord(op) || typeof op.path !== "string" || typeof op.op !== "string") return fail("", "InvalidObject", "each operation needs op and path");
    const kind = op.op.toLowerCase();
    if (!["add", "replace", "remove"].includes(kind)) fail(op.path, "InvalidObject", `unsupported op '${op.op}'`);
    const segs = op.path.replace(/^\//, "").split("/").filter(Boolean);
    const field = writable.find((w) => w.toLowerCase() === segs[0]?.toLowerCase());
    if (!field) {
      const ro = readonly.find((w) => w.toLowerCase() === segs[0]?.toLowerCase());
      fail(op.path, ro ? "ReadOnly" : "InvalidField", ro ? `${op.path} is read-only` : `Cannot find field ${op.path} on ${resource}`);
    }
    if (segs.length > 2 || (segs.length === 2 && !(MEMBER_REFS as readonly string[]).includes(field!))) fail(op.path, "InvalidField", `Cannot find field ${op.path} on ${resource}`);
    if (kind === "remove") { delete out[field!]; continue; }
    if (!("value" in op)) fail(op.path, "Required", `value is required for op '${kind}'`);
    out[field!] = segs.length === 2 ? { [segs[1]]: op.value } : op.value;
  }
  return out;
}

export function validateRole(t: Tenant, body: unknown): { name: string; roleType?: string; adminFlag: boolean; inactiveFlag: boolean } {
  const resource = "securityRole";
  if (!isRecord(body)) throw new ApiError(400, "InvalidObject", "securityRole object is invalid: expected a JSON object");
  const errors: ValidationError[] = [];
  const { name, roleType, adminFlag, inactiveFlag } = body;
  if (name === undefined || name === null || name === "") errors.push({ code: "Required", message: "name is required", resource, field: "name" });
  else if (typeof name !== "string") errors.push({ code: "InvalidType", message: "name must be a string", resource, field: "name" });
  else if (name.length > 30) errors.push({ code: "MaxLength", message: "name must be at most 30 characters", resource, field: "name" });
  if (roleType !== undefined && roleType !== null && (typeof roleType !== "string" || roleType.length > 30)) errors.push({ code: "MaxLength", message: "roleType must be a string of at most 30 characters", resource, field: "roleType" });
  for (const [k, v] of Object.entries({ adminFlag, inactiveFlag })) {
    if (v !== undefined && v !== null && typeof v !== "boolean") errors.push({ code: "InvalidType", message: `${k} must be a boolean`, resource, field: k });
  }
  if (errors.length) throw invalid(resource, errors);
  if (t.roles.some((r) => r.name.toLowerCase() === (name as string).toLowerCase())) {
    throw invalid(resource, [{ code: "ObjectExists", message: `A security role named '${name}' already exists`, resource, field: "name" }]);
  }
  return { name: name as string, roleType: (roleType as string | undefined) ?? undefined, adminFlag: adminFlag === true, inactiveFlag: inactiveFlag === true };
}
