import { RUNBOOK_CLICKS } from "../support/runbook";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConsoleError, EmulatorConsole } from "./console-client";
import { RunningEmulator, startEmulator } from "./server";
import type { EmulatorCredentials } from "./store";
import { basic, call } from "./test-helpers";

let emu: RunningEmulator;
let con: EmulatorConsole;
const CO = "sandbox";
before(async () => {
  emu = await startEmulator();
  con = new EmulatorConsole(emu.url, emu.consoleToken);
});
after(async () => { await emu.close(); });
const api = (method: string, path: string, body?: unknown, creds: EmulatorCredentials = emu.admin) => call(emu.url, creds, method, path, body);

describe("the runbook's least-privilege identity", () => {
  let role: { id: number };
  let creds: EmulatorCredentials;
  before(async () => {
    role = (await api("POST", "/system/securityroles", { name: "S365L Role" })).body;
    await con.setLevels(CO, role.id, RUNBOOK_CLICKS);
    await con.setCustomize(CO, role.id, "System", "Table Setup", ["Agreements / Batch"]);
    const member = await api("POST", "/system/apiMembers", { identifier: "S365L", name: "Sync 365 License", securityRole: { id: role.id } });
    assert.equal(member.status, 201);
    const key = await con.createKey(CO, "S365L", "s365l");
    assert.equal(key.memberIdentifier, "S365L");
    creds = { ...emu.admin, publicKey: key.publicKey, privateKey: key.privateKey, memberIdentifier: "S365L" };
  });

  test("levels and customize list show in mySecurity and customizeItems of the member's key", async () => {
    const mine = (await api("GET", "/system/mySecurity?pageSize=1000", undefined, creds)).body;
    const by = (fn: string) => mine.find((s: any) => s.moduleFunctionDescription === fn && (fn !== "Agreements" || s.moduleDescription === "Finance"));
    assert.equal(by("Company Maintenance").inquireLevel, "All");
    assert.deepEqual(["addLevel", "editLevel", "deleteLevel", "inquireLevel"].map((l) => by("Agreements")[l]), ["All", "All", "None", "All"]);
    assert.equal(by("Table Setup").editLevel, "All");
    assert.equal(by("Security Roles").inquireLevel, "None");
    assert.equal(by("Table Setup").member.identifier, "S365L");
    assert.equal(mine.filter((s: any) => s.inquireLevel !== "None").length, 7);
    const batch = (await api("GET", `/system/setupScreens?conditions=${encodeURIComponent('description="Agreements / Batch"')}`, undefined, creds)).body[0];
    const items = (await api("GET", "/system/mySecurity/customizeItems", undefined, creds)).body;
    assert.deepEqual(items.map((i: any) => [i.customizeIdentifier, i.itemIdentifier]), [["SystemTableSetup", String(batch.id)]]);
    const settings = (await api("GET", `/system/securityRoles/${role.id}/settings?conditions=${encodeURIComponent('inquireLevel="All"')}`)).body;
    assert.equal(settings.length, 7);
  });

  test("403 naming the function for what the role lacks", async () => {
    const roles = await api("GET", "/system/securityroles", undefined, creds);
    assert.equal(roles.status, 403);
    assert.match(roles.body.message, /System › Security Roles/);
    assert.match(roles.body.message, /inquire/);
    const create = await api("POST", "/system/apiMembers", { identifier: "x", name: "x", securityRole: { id: 1 } }, creds);
    assert.equal(create.status, 403);
    assert.match(create.body.message, /System › Member Maintenance.*add/);
    assert.equal((await api("GET", "/system/departments", undefined, creds)).status, 200);
    assert.equal((await api("GET", "/system/info", undefined, creds)).status, 200);
  });

  test("console rejects unknown labels and non-customizable functions", async () => {
    await assert.rejects(con.setLevels(CO, role.id, [{ module: "Finance", function: "Agreements", inquire: "All" }, { module: "Finance", function: "Nope" }]),
      (e: unknown) => e instanceof ConsoleError && e.status === 400 && /Finance › Nope/.test(JSON.stringify(e.body)));
    await assert.rejects(con.setCustomize(CO, role.id, "Finance", "Invoicing", []), (e: unknown) => e instanceof ConsoleError && e.status === 400);
    await assert.rejects(con.setCustomize(CO, role.id, "System", "Table Setup", ["Agreements / Nope"]), /Agreements \/ Nope/);
  });

  test("keys: listed without private keys, 401 after revoke and for an inactive member", async () => {
    const extra = await con.createKey(CO, "S365L", "second");
    const listed = await con.listKeys(CO, "s365l");
    assert.deepEqual(listed.map((k) => k.description).sort(), ["s365l", "second"]);
    assert.ok(listed.every((k) => !("privateKey" in k)));
    const extraCreds = { ...creds, publicKey: extra.publicKey, privateKey: extra.privateKey };
    assert.equal((await api("GET", "/system/info", undefined, extraCreds)).status, 200);
    await con.revokeKey(CO, extra.publicKey);
    assert.equal((await api("GET", "/system/info", undefined, extraCreds)).status, 401);
    const dump = await con.dump(CO);
    assert.ok((dump.keys as any[]).every((k) => k.privateKey === undefined));
    const member = (dump.members as any[]).find((m) => m.identifier === "S365L");
    await con.patchMember(CO, member.id, { inactiveFlag: true });
    assert.equal((await api("GET", "/system/info", undefined, creds)).status, 401);
    await con.patchMember(CO, member.id, { inactiveFlag: false });
    assert.equal((await api("GET", "/system/info", undefined, creds)).status, 200);
  });
});

describe("console access and tenants", () => {
  test("the console needs its token; API keys are refused", async () => {
    const noToken = await fetch(`${emu.url}/__console/log`, { headers: { authorization: basic(emu.admin), clientId: "x" } });
    assert.equal(noToken.status, 403);
    await assert.rejects(new EmulatorConsole(emu.url, "wrong").log(), (e: unknown) => e instanceof ConsoleError && e.status === 403);
  });

  test("new companies are isolated tenants; out-of-band role and member deletion", async () => {
    const other = await con.addCompany();
    assert.notEqual(other.companyId, CO);
    assert.equal((await api("POST", "/system/securityroles", { name: "Only Here" }, other)).status, 201);
    const here = await api("GET", `/system/securityroles?conditions=${encodeURIComponent('name="Only Here"')}`);
    assert.equal(here.body.length, 0);
    assert.equal((await call(emu.url, { ...other, companyId: CO }, "GET", "/system/info")).status, 401);
    const named = await con.addCompany("acme");
    assert.equal(named.companyId, "acme");
    await assert.rejects(con.addCompany("acme"), (e: unknown) => e instanceof ConsoleError && e.status === 409);
    const role = await con.createRole("acme", "Shadow");
    const m = await call(emu.url, named, "POST", "/system/apiMembers", { identifier: "shadow", name: "Shadow", securityRole: { id: role.id } });
    await con.deleteRole("acme", role.id);
    assert.equal((await call(emu.url, named, "GET", `/system/securityroles/${role.id}`)).status, 404);
    await con.deleteMember("acme", m.body.id);
    assert.equal((await call(emu.url, named, "GET", `/system/apiMembers/${m.body.id}`)).status, 404);
  });
});

describe("faults, latency and the log", () => {
  test("status faults: 429 with Retry-After (seconds or HTTP date), 503, count", async () => {
    await con.addFault({ kind: "status", status: 429, retryAfterSeconds: 7, path: "/system/SECURITYROLES", method: "GET", count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await api("GET", "/system/securityroles/1");
      assert.equal(r.status, 429);
      assert.equal(r.headers.get("retry-after"), "7");
      assert.equal(typeof r.body.code, "string");
    }
    assert.equal((await api("GET", "/system/securityroles/1")).status, 200);
    await con.addFault({ kind: "status", status: 429, retryAfterSeconds: 30, retryAfterHttpDate: true });
    const dated = await api("GET", "/system/info");
    const wait = Date.parse(dated.headers.get("retry-after") ?? "") - Date.now();
    assert.ok(wait > 25_000 && wait <= 31_000, String(wait));
    await con.addFault({ kind: "status", status: 503, method: "POST", companyId: CO });
    const failed = await api("POST", "/system/securityroles", { name: "Never Created" });
    assert.equal(failed.status, 503);
    assert.equal((await api("GET", `/system/securityroles/count?conditions=${encodeURIComponent('name="Never Created"')}`)).body.count, 0);
  });

  test("reset drops the connection; commitThenDrop commits then drops", async () => {
    await con.addFault({ kind: "reset", path: "/system/info" });
    await assert.rejects(api("GET", "/system/info"));
    assert.equal((await api("GET", "/system/info")).status, 200);
    await con.addFault({ kind: "commitThenDrop", method: "POST", path: "/system/securityroles" });
    await assert.rejects(api("POST", "/system/securityroles", { name: "Landed Anyway" }));
    assert.equal((await api("GET", `/system/securityroles/count?conditions=${encodeURIComponent('name="Landed Anyway"')}`)).body.count, 1);
  });

  test("delay and seeded rate are deterministic", async () => {
    await con.addFault({ kind: "delay", delayMs: 300, path: "/system/info" });
    const t0 = Date.now();
    assert.equal((await api("GET", "/system/info")).status, 200);
    assert.ok(Date.now() - t0 >= 290);
    const pattern = async () => {
      await con.clearFaults();
      await con.addFault({ kind: "status", status: 503, rate: 0.5, seed: 42, path: "/system/departments" });
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await api("GET", "/system/departments/1")).status);
      return out;
    };
    const a = await pattern();
    assert.deepEqual(await pattern(), a);
    assert.ok(a.includes(503) && a.includes(200), a.join(","));
    assert.equal((await con.listFaults()).length, 1);
    await con.clearFaults();
    assert.equal((await con.listFaults()).length, 0);
  });

  test("log counts routes, companyinfo and concurrency; console calls are not logged", async () => {
    await con.resetLog();
    await api("GET", "/system/securityroles/1");
    await api("GET", "/system/securityroles/2");
    await api("GET", "/system/securityRoles/2/settings");
    await fetch(`${emu.url}/login/companyinfo/${CO}`);
    await con.dump(CO);
    let log = await con.log();
    assert.equal(log.total, 4);
    assert.equal(log.byRoute["GET /system/securityroles/{id}"], 2);
    assert.equal(log.byRoute["GET /system/securityRoles/{id}/settings"], 1);
    assert.equal(log.byRoute["GET /login/companyinfo/{company}"], 1);
    assert.deepEqual(log.entries.map((e) => e.status), [200, 200, 200, 200]);
    assert.equal(log.entries[0].path, "/system/securityroles/1");
    await con.resetLog();
    await con.setLatency(150);
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 6 }, () => api("GET", "/system/info")));
    const elapsed = Date.now() - t0;
    await con.setLatency(0);
    assert.ok(results.every((r) => r.status === 200));
    assert.ok(elapsed >= 140 && elapsed < 800, String(elapsed)); // serial would take >= 900
    log = await con.log();
    assert.equal(log.maxInFlight[CO], 6);
    assert.equal(log.total, 6);
  });
});
