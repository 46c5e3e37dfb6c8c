import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { FUNCTIONS } from "./catalog";
import { pageSizeOf } from "./query";
import { RunningEmulator, startEmulator } from "./server";
import { ApiResponse, call, links } from "./test-helpers";

let emu: RunningEmulator;
const api = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>> =>
  call<T>(emu.url, emu.admin, method, path, body, headers);

before(async () => { emu = await startEmulator(); });
after(async () => { await emu.close(); });

describe("discovery and auth", () => {
  test("companyinfo answers without auth and 404s for an unknown company", async () => {
    const ok = await fetch(`${emu.url}/login/companyinfo/SANDBOX`);
    assert.equal(ok.status, 200);
    const info = (await ok.json()) as Record<string, unknown>;
    assert.equal(info.Codebase, "v2025_1/");
    assert.equal(info.CompanyID, "sandbox");
    assert.equal(info.SiteUrl, `127.0.0.1:${emu.port}`);
    assert.equal(info.IsCloud, false);
    const missing = await fetch(`${emu.url}/login/companyinfo/nobody`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, "NotFound");
  });

  test("401 for a bad private key, an unknown company and a missing clientId", async () => {
    const bad = await call(emu.url, { ...emu.admin, privateKey: "wrong" }, "GET", "/system/info");
    assert.equal(bad.status, 401);
    assert.equal(bad.body.code, "Unauthorized");
    assert.equal((await call(emu.url, { ...emu.admin, companyId: "other" }, "GET", "/system/info")).status, 401);
    const noClient = await call(emu.url, { ...emu.admin, clientId: "" }, "GET", "/system/info");
    assert.equal(noClient.status, 401);
    assert.match(noClient.body.message, /clientId/);
    const anonymous = await fetch(`${emu.url}/v4_6_release/apis/3.0/system/info`, { headers: { clientId: "x" } });
    assert.equal(anonymous.status, 401);
    assert.equal((await api("GET", "/system/info")).status, 200);
  });

  test("paths are case-insensitive, both codebase forms work, unknown paths 404", async () => {
    assert.equal((await api("GET", "/SYSTEM/SecurityRoles/1")).body.name, "Admin");
    assert.equal((await call(emu.url, emu.admin, "GET", `${emu.url}/v2025_1/apis/3.0/system/securityroles/1`)).status, 200);
    assert.equal((await call(emu.url, emu.admin, "GET", `${emu.url}/nonsense/apis/3.0/system/securityroles`)).status, 404);
    const missing = await api("GET", "/system/nothing");
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body.message, "string");
  });
});

describe("security roles", () => {
  test("create 201, duplicate ObjectExists, validation, 405 on PUT/PATCH", async () => {
    const created = await api("POST", "/system/securityroles", { name: "Integration Role" });
    assert.equal(created.status, 201);
    assert.equal(created.body.name, "Integration Role");
    assert.equal(typeof created.body.id, "number");
    assert.equal(created.body.adminFlag, false);
    assert.ok(created.body._info.lastUpdated);
    const dup = await api("POST", "/system/securityroles", { name: "integration ROLE" });
    assert.equal(dup.status, 400);
    assert.equal(dup.body.code, "InvalidObject");
    assert.deepEqual([dup.body.errors[0].code, dup.body.errors[0].field], ["ObjectExists", "name"]);
    const long = await api("POST", "/system/securityroles", { name: "x".repeat(31) });
    assert.deepEqual([long.status, long.body.errors[0].code, long.body.errors[0].field], [400, "MaxLength", "name"]);
    const missing = await api("POST", "/system/securityroles", {});
    assert.equal(missing.body.errors[0].code, "Required");
    for (const verb of ["PUT", "PATCH"]) {
      const r = await api(verb, `/system/securityroles/${created.body.id}`, [{ op: "replace", path: "name", value: "y" }]);
      assert.equal(r.status, 405, verb);
    }
    assert.equal((await api("GET", `/system/securityroles/${created.body.id}/info`)).body.name, "Integration Role");
  });

  test("a new role has a None setting for every catalog function; settings are read-only", async () => {
    const role = (await api("POST", "/system/securityroles", { name: "Blank Role" })).body;
    const settings = await api("GET", `/system/securityRoles/${role.id}/settings?pageSize=1000`);
    assert.equal(settings.status, 200);
    assert.equal(settings.body.length, FUNCTIONS.length);
    assert.ok(FUNCTIONS.length >= 80);
    assert.equal(new Set(settings.body.map((s: any) => s.id)).size, FUNCTIONS.length);
    for (const s of settings.body) for (const l of ["addLevel", "editLevel", "deleteLevel", "inquireLevel"]) assert.equal(s[l], "None");
    const tableSetup = settings.body.find((s: any) => s.moduleFunctionDescription === "Table Setup");
    assert.deepEqual([tableSetup.moduleIdentifier, tableSetup.moduleFunctionIdentifier, tableSetup.customFlag], ["System", "TableSetup", true]);
    const one = await api("GET", `/system/securityRoles/${role.id}/settings/${tableSetup.id}`);
    assert.equal(one.body.moduleFunctionDescription, "Table Setup");
    assert.equal((await api("GET", `/system/securityRoles/${role.id}/settings/count`)).body.count, FUNCTIONS.length);
    assert.equal((await api("PUT", `/system/securityRoles/${role.id}/settings/${tableSetup.id}`, {})).status, 405);
    assert.equal((await api("POST", `/system/securityRoles/${role.id}/settings`, {})).status, 405);
    const labels = new Set(settings.body.map((s: any) => `${s.moduleDescription} › ${s.moduleFunctionDescription}`));
    for (const l of ["Companies › Company Maintenance", "Finance › Agreement Invoicing", "Finance › Agreements", "Finance › Invoicing",
      "Procurement › Product Catalog", "Procurement › Products", "System › Table Setup", "System › Security Roles", "System › Member Maintenance"]) {
      assert.ok(labels.has(l), l);
    }
  });

  test("delete: refused while in use (naming members), built-in Admin protected, then 204 and 404", async () => {
    const role = (await api("POST", "/system/securityroles", { name: "Doomed Role" })).body;
    const m = await api("POST", "/system/apiMembers", { identifier: "doomed1", name: "Doomed", securityRole: { id: role.id } });
    assert.equal(m.status, 201);
    await api("POST", `/system/members/${m.body.id}/deactivate`, {});
    const refused = await api("DELETE", `/system/securityroles/${role.id}`);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0].code, "InUse");
    assert.match(refused.body.errors[0].message, /doomed1/);
    assert.equal((await api("DELETE", "/system/securityroles/1")).status, 400);
    await api("PATCH", `/system/apiMembers/${m.body.id}`, [{ op: "replace", path: "securityRole", value: { name: "Finance" } }]);
    assert.equal((await api("DELETE", `/system/securityroles/${role.id}`)).status, 204);
    assert.equal((await api("GET", `/system/securityroles/${role.id}`)).status, 404);
  });
});

describe("list queries", () => {
  test("pagination walks Link next across pages, preserving conditions", async () => {
    for (let i = 0; i < 65; i++) {
      const r = await api("POST", "/system/securityroles", { name: `Page Role ${String(i).padStart(2, "0")}` });
      assert.equal(r.status, 201);
    }
    const seen: number[] = [];
    let next: string | undefined = `/system/securityroles?conditions=${encodeURIComponent('name like "Page Role%"')}&pageSize=20`;
    let pages = 0;
    while (next) {
      const r: ApiResponse = await api("GET", next);
      assert.equal(r.status, 200);
      const rel = links(r.headers.get("link"));
      if (pages === 0) {
        assert.deepEqual(Object.keys(rel).sort(), ["last", "next"]);
        assert.match(rel.last, /page=4/);
        assert.ok(rel.next.startsWith(`${emu.url}/v4_6_release/apis/3.0/system/securityroles?`));
      } else {
        assert.ok(rel.prev && rel.first);
      }
      seen.push(...r.body.map((x: any) => x.id));
      for (const x of r.body) assert.match(x.name, /^Page Role/);
      next = rel.next;
      pages++;
    }
    assert.equal(pages, 4);
    assert.equal(seen.length, 65);
    assert.equal(new Set(seen).size, 65);
    const dflt = await api("GET", "/system/securityroles");
    assert.equal(dflt.body.length, 25);
    assert.equal(pageSizeOf(new Map([["pagesize", "5000"]])), 1000);
    assert.equal(links((await api("GET", "/system/securityroles?pageSize=1000")).headers.get("link")).next, undefined);
  });

  test("forward-only pagination uses pageId and only a next link", async () => {
    const seen: number[] = [];
    let next: string | undefined = "/system/securityroles?pageSize=30";
    while (next) {
      const r: ApiResponse = await api("GET", next, undefined, { "pagination-type": "forward-only" });
      const rel = links(r.headers.get("link"));
      assert.equal(rel.prev, undefined);
      assert.equal(rel.last, undefined);
      seen.push(...r.body.map((x: any) => x.id));
      next = rel.next;
      if (next) assert.match(next, /pageId=\d+/);
    }
    const count = (await api("GET", "/system/securityroles/count")).body.count;
    assert.equal(seen.length, count);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  });

  test("conditions over HTTP, count, and 400 for a syntax error", async () => {
    const q = encodeURIComponent('(name like "Page Role 0%" or name = "Finance") and id > 1');
    const r = await api("GET", `/system/securityroles?conditions=${q}&pageSize=100`);
    assert.equal(r.body.length, 11);
    assert.equal((await api("GET", `/system/securityroles/count?conditions=${q}`)).body.count, 11);
    const members = await api("GET", `/system/members?conditions=${encodeURIComponent("securityRole/id = 1")}`);
    assert.deepEqual(members.body.map((m: any) => m.identifier), ["admin"]);
    const bad = await api("GET", `/system/securityroles?conditions=${encodeURIComponent('name = "x" and')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "InvalidObject");
    assert.match(bad.body.message, /position 15/);
  });

  test("fields projects top-level and nested fields; orderBy sorts", async () => {
    const r = await api("GET", "/system/members?fields=id,identifier,securityRole/name&orderBy=identifier desc");
    for (const m of r.body) {
      assert.deepEqual(Object.keys(m).sort(), ["id", "identifier", "securityRole"]);
      assert.deepEqual(Object.keys(m.securityRole), ["name"]);
    }
    const idents = r.body.map((m: any) => m.identifier.toLowerCase());
    assert.deepEqual(idents, [...idents].sort().reverse());
    const roles = (await api("GET", "/system/securityroles?orderBy=adminFlag desc, name asc&pageSize=1000")).body;
    assert.equal(roles[0].name, "Admin");
    const rest = roles.slice(1).map((x: any) => x.name.toLowerCase());
    assert.deepEqual(rest, [...rest].sort((a: string, b: string) => a.localeCompare(b)));
  });
});

describe("API members and members", () => {
  test("create, duplicate across all members, validation and unknown references", async () => {
    const dflt = await api("GET", "/system/apiMembers/default");
    assert.equal(dflt.body.structureLevel.name, "Corporate (Level 1)");
    const body = {
      identifier: "S365L", name: "Sync 365 License", securityRole: { name: "Finance" }, defaultDepartment: { identifier: "Admin" },
      defaultLocation: { id: 1 }, structureLevel: { id: 1 }, timeZone: { name: "Eastern" }, emailAddress: "s365l@example.com", notes: "sync",
    };
    const created = await api("POST", "/system/apiMembers", body);
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.securityRole, { id: 2, name: "Finance" });
    assert.deepEqual(created.body.defaultDepartment, { id: 1, identifier: "Admin", name: "Admin" });
    assert.equal(created.body.licenseClass, undefined);
    assert.equal(created.body.inactiveDate, undefined);
    const dup = await api("POST", "/system/apiMembers", { ...body, identifier: "ADMIN" });
    assert.deepEqual([dup.status, dup.body.errors[0].code, dup.body.errors[0].field], [400, "ObjectExists", "identifier"]);
    const invalid = await api("POST", "/system/apiMembers", { identifier: "x".repeat(16), name: "y".repeat(31), securityRole: { id: 1 } });
    assert.equal(invalid.body.message, "apiMember object is invalid");
    assert.deepEqual(invalid.body.errors.map((e: any) => `${e.field}:${e.code}`).sort(), ["identifier:MaxLength", "name:MaxLength"]);
    const chars = await api("POST", "/system/apiMembers", { identifier: "has-dash", name: "n", securityRole: { id: 1 } });
    assert.equal(chars.body.errors[0].field, "identifier");
    const noRole = await api("POST", "/system/apiMembers", { identifier: "norole", name: "n" });
    assert.deepEqual([noRole.body.errors[0].field, noRole.body.errors[0].code], ["securityRole", "Required"]);
    const badRef = await api("POST", "/system/apiMembers", { identifier: "badref", name: "n", securityRole: { id: 9999 }, defaultLocation: { name: "Mars" } });
    assert.equal(badRef.status, 400);
    assert.deepEqual(badRef.body.errors.map((e: any) => e.field).sort(), ["defaultLocation", "securityRole"]);
  });

  test("PATCH, PUT, deactivate and no DELETE", async () => {
    const m = (await api("POST", "/system/apiMembers", { identifier: "patchme", name: "Patch Me", securityRole: { id: 2 } })).body;
    const patched = await api("PATCH", `/system/apiMembers/${m.id}`, [
      { op: "replace", path: "name", value: "Patched" }, { op: "add", path: "/notes", value: "hello" },
      { op: "replace", path: "defaultDepartment", value: { id: 2 } },
    ]);
    assert.equal(patched.status, 200);
    assert.deepEqual([patched.body.name, patched.body.notes, patched.body.defaultDepartment.name], ["Patched", "hello", "Professional Services"]);
    const unknown = await api("PATCH", `/system/apiMembers/${m.id}`, [{ op: "replace", path: "colour", value: "red" }]);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.errors[0].field, "colour");
    const ro = await api("PATCH", `/system/apiMembers/${m.id}`, [{ op: "replace", path: "id", value: 5 }]);
    assert.deepEqual([ro.status, ro.body.errors[0].code], [400, "ReadOnly"]);
    const tooLong = await api("PATCH", `/system/apiMembers/${m.id}`, [{ op: "replace", path: "name", value: "z".repeat(31) }]);
    assert.equal(tooLong.body.errors[0].code, "MaxLength");
    const removed = await api("PATCH", `/system/apiMembers/${m.id}`, [{ op: "remove", path: "notes" }]);
    assert.equal(removed.body.notes, undefined);
    const put = await api("PUT", `/system/apiMembers/${m.id}`, { identifier: "patchme", name: "Put", securityRole: { id: 3 } });
    assert.deepEqual([put.status, put.body.name, put.body.defaultDepartment, put.body.securityRole.name], [200, "Put", undefined, "Project Manager"]);
    assert.equal((await api("DELETE", `/system/apiMembers/${m.id}`)).status, 405);
    assert.equal((await api("DELETE", `/system/members/${m.id}`)).status, 405);
    assert.equal((await api("POST", `/system/members/${m.id}/deactivate`, {})).status, 204);
    const after = (await api("GET", `/system/members/${m.id}`)).body;
    assert.equal(after.inactiveFlag, true);
    assert.ok(after.inactiveDate);
    assert.equal(after.licenseClass, "A");
  });

  test("members list includes full and API members; impersonation tokens act as the member", async () => {
    const all = (await api("GET", "/system/members?pageSize=1000")).body;
    assert.ok(all.some((m: any) => m.identifier === "admin" && m.licenseClass === "F" && m.firstName === "Emulator"));
    assert.ok(all.some((m: any) => m.licenseClass === "A"));
    assert.equal((await api("GET", "/system/members/count")).body.count, all.length);
    assert.equal((await api("GET", "/system/apiMembers?conditions=identifier=\"admin\"")).body.length, 0);
    const token = await api("POST", "/system/members/jtech/tokens");
    assert.equal(token.status, 200);
    assert.ok(token.body.publicKey && token.body.privateKey);
    const hours = (Date.parse(token.body.expiration) - Date.now()) / 3600e3;
    assert.ok(hours > 3.9 && hours <= 4, String(hours));
    const asTech = await call(emu.url, { ...emu.admin, ...token.body }, "GET", "/system/mySecurity?pageSize=1000");
    assert.equal(asTech.body[0].member.identifier, "jtech");
    assert.equal((await api("POST", "/system/members/nobody/tokens")).status, 404);
  });

  test("lookup endpoints (Table Setup)", async () => {
    const screens = (await api("GET", "/system/setupScreens?pageSize=1000")).body;
    assert.ok(screens.length >= 40);
    const batch = screens.find((s: any) => s.description === "Agreements / Batch");
    assert.deepEqual([batch.category, batch.name], ["Agreements", "Batch"]);
    assert.ok(screens.some((s: any) => s.description === "General / Manage Hosted API"));
    assert.equal((await api("GET", `/system/setupScreens/${batch.id}`)).body.description, "Agreements / Batch");
    assert.ok((await api("GET", "/system/departments")).body.some((d: any) => d.identifier === "Admin"));
    assert.equal((await api("GET", "/system/locations/1")).body.name, "Main Office");
    assert.equal((await api("GET", "/system/timeZoneSetups?conditions=name=\"Pacific\"")).body[0].offset, -8);
    assert.equal((await api("GET", "/system/myCompany/corporateStructureLevels/1")).body.name, "Corporate (Level 1)");
    assert.equal((await api("GET", "/system/departments/count")).body.count, 6);
    assert.equal((await api("GET", "/system/departments/999")).status, 404);
    assert.equal((await api("POST", "/system/departments", { name: "x" })).status, 405);
  });
});
