// Tenant data model, seeding of new companies and atomic JSON persistence (tmp file + rename).
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { FUNCTIONS, Level, SEED_ROLES, SETUP_SCREENS, letterLevel } from "./catalog";
import { nowIso } from "./http-util";

export interface Ref { id: number; name?: string; identifier?: string }
export interface SettingRec { id: number; fn: string; add: Level; edit: Level; delete: Level; inquire: Level }
export interface CustomItemRec { id: number; screenId: number }
export interface RoleRec {
  id: number; name: string; roleType?: string; adminFlag: boolean; inactiveFlag: boolean; builtIn?: boolean;
  settings: SettingRec[]; customize: Record<string, CustomItemRec[]>; lastUpdated: string; updatedBy: string;
}
export const MEMBER_REFS = ["timeZone", "securityRole", "structureLevel", "securityLocation", "defaultLocation", "defaultDepartment", "salesDefaultLocation"] as const;
export type MemberRefField = (typeof MEMBER_REFS)[number];
export interface MemberRec extends Partial<Record<MemberRefField, Ref>> {
  id: number; identifier: string; licenseClass: "A" | "F"; name: string; firstName?: string; lastName?: string;
  emailAddress?: string; inactiveFlag: boolean; inactiveDate?: string; notes?: string; lastUpdated: string; updatedBy: string;
}
export interface KeyRec {
  publicKey: string; privateKey: string; memberId: number; description: string; createdAt: string;
  kind: "key" | "token"; expiresAt?: string;
}
export interface Tenant {
  companyId: string; companyName: string; clientId: string;
  seq: { role: number; setting: number; member: number; custom: number };
  roles: RoleRec[]; members: MemberRec[]; keys: KeyRec[];
  adminMemberId: number; adminPublicKey: string;
}
export interface EmulatorCredentials { companyId: string; publicKey: string; privateKey: string; clientId: string; memberIdentifier: string }

interface StateFile { version: 1; consoleToken: string; companies: Tenant[] }

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export function randomKey(len = 16): string {
  return [...randomBytes(len)].map((b) => ALNUM[b % ALNUM.length]).join("");
}

export function nextId(t: Tenant, kind: keyof Tenant["seq"]): number {
  return ++t.seq[kind];
}

/** A role with a settings row for every catalog function; levels default to None. */
export function makeRole(t: Tenant, name: string, by: string, levels: (fnKey: string, moduleId: string) => [Level, Level, Level, Level] = () => ["None", "None", "None", "None"]): RoleRec {
  const role: RoleRec = {
    id: nextId(t, "role"), name, adminFlag: false, inactiveFlag: false, settings: [], customize: {},
    lastUpdated: nowIso(), updatedBy: by,
  };
  for (const f of FUNCTIONS) {
    const [add, edit, del, inquire] = levels(f.key, f.moduleIdentifier);
    role.settings.push({ id: nextId(t, "setting"), fn: f.key, add, edit, delete: del, inquire });
  }
  return role;
}

export function mintKey(t: Tenant, memberId: number, description: string, kind: "key" | "token" = "key", ttlMs?: number): KeyRec {
  const key: KeyRec = {
    publicKey: randomKey(), privateKey: randomKey(), memberId, description, createdAt: nowIso(), kind,
    expiresAt: ttlMs ? new Date(Date.now() + ttlMs).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined,
  };
  t.keys.push(key);
  return key;
}

export function seedTenant(companyId: string): Tenant {
  const t: Tenant = {
    companyId, companyName: `${companyId} (ConnectWise Manage emulator)`, clientId: randomUUID(),
    seq: { role: 0, setting: 0, member: 0, custom: 0 }, roles: [], members: [], keys: [], adminMemberId: 0, adminPublicKey: "",
  };
  for (const seed of SEED_ROLES) {
    const role = makeRole(t, seed.name, "system", (_fn, mod) => {
      if (seed.admin) return ["All", "All", "All", "All"];
      const l = seed.levels[mod] ?? "NNNN";
      return [letterLevel(l[0]), letterLevel(l[1]), letterLevel(l[2]), letterLevel(l[3])];
    });
    if (seed.admin) {
      role.adminFlag = true;
      role.builtIn = true;
      role.roleType = "Admin";
      for (const f of FUNCTIONS.filter((x) => x.customFlag)) {
        role.customize[f.key] = SETUP_SCREENS.map((s) => ({ id: nextId(t, "custom"), screenId: s.id }));
      }
    }
    t.roles.push(role);
  }
  const at = nowIso();
  const admin: MemberRec = {
    id: nextId(t, "member"), identifier: "admin", licenseClass: "F", name: "Emulator Admin", firstName: "Emulator",
    lastName: "Admin", emailAddress: "admin@example.invalid", inactiveFlag: false,
    securityRole: { id: t.roles[0].id, name: t.roles[0].name }, timeZone: { id: 1, name: "Eastern" },
    structureLevel: { id: 1, name: "Corporate (Level 1)" }, defaultLocation: { id: 1, name: "Main Office" },
    securityLocation: { id: 1, name: "Main Office" }, defaultDepartment: { id: 1, identifier: "Admin", name: "Admin" },
    lastUpdated: at, updatedBy: "system",
  };
  const techRole = t.roles.find((r) => r.name === "Technician")!;
  const tech: MemberRec = {
    id: nextId(t, "member"), identifier: "jtech", licenseClass: "F", name: "Jamie Tech", firstName: "Jamie", lastName: "Tech",
    emailAddress: "jtech@example.invalid", inactiveFlag: false, securityRole: { id: techRole.id, name: techRole.name },
    defaultLocation: { id: 1, name: "Main Office" }, defaultDepartment: { id: 4, identifier: "Service", name: "Service" },
    lastUpdated: at, updatedBy: "system",
  };
  t.members.push(admin, tech);
  t.adminMemberId = admin.id;
  t.adminPublicKey = mintKey(t, admin.id, "emulator admin").publicKey;
  return t;
}

export class Store {
  readonly companies = new Map<string, Tenant>();
  consoleToken = randomKey(32);

  constructor(readonly statePath?: string) {
    if (statePath && fs.existsSync(statePath)) {
      const state = JSON.parse(fs.readFileSync(statePath, "utf8")) as StateFile;
      this.consoleToken = state.consoleToken;
      for (const t of state.companies) this.companies.set(t.companyId.toLowerCase(), t);
    }
  }

  tenant(companyId: string): Tenant | undefined {
    return this.companies.get(companyId.toLowerCase());
  }

  addCompany(companyId?: string): Tenant {
    const id = companyId ?? `co${randomKey(8).toLowerCase()}`;
    const t = seedTenant(id);
    this.companies.set(id.toLowerCase(), t);
    this.save();
    return t;
  }

  /** The seeded admin's credentials; mints a new admin key when that key was revoked. */
  adminCredentials(t: Tenant): EmulatorCredentials {
    let key = t.keys.find((k) => k.publicKey === t.adminPublicKey);
    if (!key) {
      key = mintKey(t, t.adminMemberId, "emulator admin");
      t.adminPublicKey = key.publicKey;
      this.save();
    }
    const member = t.members.find((m) => m.id === key!.memberId);
    return { companyId: t.companyId, publicKey: key.publicKey, privateKey: key.privateKey, clientId: t.clientId, memberIdentifier: member?.identifier ?? "admin" };
  }

  /** Writes the whole state atomically when a state path is configured. */
  save(): void {
    if (!this.statePath) return;
    const state: StateFile = { version: 1, consoleToken: this.consoleToken, companies: [...this.companies.values()] };
    fs.mkdirSync(path.dirname(this.statePath), { recursive: true });
    const tmp = `${this.statePath}.${process.pid}.${randomKey(6)}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state));
    fs.renameSync(tmp, this.statePath);
  }
}
