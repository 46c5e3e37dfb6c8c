// JSON shapes returned by the API (field names as the vendor's models), null fields omitted.
import { FUNCTIONS, FUNCTION_BY_KEY, SETUP_SCREENS } from "./catalog";
import { clean } from "./http-util";
import { MEMBER_REFS, MemberRec, RoleRec, SettingRec, Tenant } from "./store";

type Obj = Record<string, unknown>;

export function roleView(r: RoleRec, base: string): Obj {
  return clean({
    id: r.id, name: r.name, roleType: r.roleType, adminFlag: r.adminFlag, inactiveFlag: r.inactiveFlag,
    _info: { lastUpdated: r.lastUpdated, updatedBy: r.updatedBy, settings_href: `${base}/system/securityRoles/${r.id}/settings` },
  });
}

export function roleInfoView(r: RoleRec, base: string): Obj {
  return clean({ id: r.id, name: r.name, roleType: r.roleType, inactiveFlag: r.inactiveFlag, _info: { lastUpdated: r.lastUpdated, updatedBy: r.updatedBy, securityRole_href: `${base}/system/securityroles/${r.id}` } });
}

function settingFields(s: SettingRec): Obj {
  const f = FUNCTION_BY_KEY.get(s.fn)!;
  return {
    id: s.id, moduleIdentifier: f.moduleIdentifier, moduleName: f.moduleName, moduleDescription: f.moduleDescription,
    moduleFunctionIdentifier: f.moduleFunctionIdentifier, moduleFunctionName: f.moduleFunctionName,
    moduleFunctionDescription: f.moduleFunctionDescription, addLevel: s.add, editLevel: s.edit, deleteLevel: s.delete,
    inquireLevel: s.inquire, myAllFlag: f.myAllFlag, customFlag: f.customFlag, reportFlag: f.reportFlag,
    restrictFlag: f.restrictFlag, sortOrder: f.sortOrder,
  };
}

export function settingView(r: RoleRec, s: SettingRec, base: string): Obj {
  return clean({
    ...settingFields(s),
    _info: { lastUpdated: r.lastUpdated, updatedBy: r.updatedBy, securityRole_href: `${base}/system/securityroles/${r.id}` },
  });
}

const API_MEMBER_FIELDS = ["id", "identifier", "name", "emailAddress", "inactiveFlag", "inactiveDate", ...MEMBER_REFS, "notes"] as const;

export function apiMemberView(m: MemberRec, base: string): Obj {
  const out: Obj = {};
  for (const k of API_MEMBER_FIELDS) out[k] = m[k];
  out._info = { lastUpdated: m.lastUpdated, updatedBy: m.updatedBy, member_href: `${base}/system/members/${m.id}` };
  return clean(out);
}

export function memberView(m: MemberRec, base: string): Obj {
  const api = apiMemberView(m, base);
  const { _info, ...rest } = api;
  return clean({
    ...rest, firstName: m.firstName, lastName: m.lastName, licenseClass: m.licenseClass,
    _info: { ...(_info as Obj), image_href: `${base}/system/members/${m.id}/image` },
  });
}

/** The caller's effective settings (GET /system/mySecurity). */
export function mySecurityView(t: Tenant, m: MemberRec): Obj[] {
  const role = t.roles.find((r) => r.id === m.securityRole?.id);
  const member = { id: m.id, identifier: m.identifier, name: m.name };
  return FUNCTIONS.map((f, i) => {
    const s = role?.settings.find((x) => x.fn === f.key) ?? { id: i + 1, fn: f.key, add: "None", edit: "None", delete: "None", inquire: "None" };
    return clean({ ...settingFields(s), member });
  });
}

/** The caller's customize entries (GET /system/mySecurity/customizeItems). */
export function customizeItemsView(t: Tenant, m: MemberRec): Obj[] {
  const role = t.roles.find((r) => r.id === m.securityRole?.id);
  if (!role) return [];
  const out: Obj[] = [];
  for (const [fnKey, items] of Object.entries(role.customize)) {
    const f = FUNCTION_BY_KEY.get(fnKey);
    if (!f) continue;
    for (const it of items) {
      if (!SETUP_SCREENS.some((s) => s.id === it.screenId)) continue;
      out.push({ id: it.id, customizeIdentifier: f.moduleIdentifier + f.moduleFunctionIdentifier, itemIdentifier: String(it.screenId) });
    }
  }
  return out;
}
