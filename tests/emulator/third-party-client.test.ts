// A third-party ConnectWise client (connectwise-rest, generated from the vendor's spec) pointed at
// the emulator works unchanged. It hard-codes https://, so this also proves the emulator's HTTPS.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startEmulator, RunningEmulator } from "./server";
import { EmulatorConsole } from "./console-client";

// The emulator's certificate is self-signed for 127.0.0.1; this test process trusts it blindly.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
process.removeAllListeners("warning");

const { ManageAPI } = require("connectwise-rest") as { ManageAPI: new (opts: Record<string, unknown>) => any };

let emu: RunningEmulator;
let cwm: any;

before(async () => {
  emu = await startEmulator({ port: 0 });
  cwm = new ManageAPI({
    companyId: emu.admin.companyId,
    companyUrl: `127.0.0.1:${emu.port}`,
    publicKey: emu.admin.publicKey,
    privateKey: emu.admin.privateKey,
    clientId: emu.admin.clientId,
  });
});
after(async () => emu.close());

test("reads: system info, roles, settings, departments, locations, time zones, levels, mySecurity", async () => {
  const info = await cwm.SystemAPI.getSystemInfo();
  assert.ok(info.version);
  const roles = await cwm.SystemAPI.getSystemSecurityroles({ conditions: 'name="Admin"' });
  assert.deepEqual(roles.map((r: { name: string }) => r.name), ["Admin"]);
  const settings = await cwm.SystemAPI.getSystemSecurityRolesByParentIdSettings(roles[0].id, { pageSize: 1000 });
  assert.ok(settings.some((s: { moduleFunctionDescription: string }) => s.moduleFunctionDescription === "Table Setup"));
  const count = await cwm.SystemAPI.getSystemSecurityRolesByParentIdSettingsCount(roles[0].id);
  assert.equal(count.count, settings.length);
  assert.ok((await cwm.SystemAPI.getSystemDepartments()).length > 0);
  assert.ok((await cwm.SystemAPI.getSystemLocations()).length > 0);
  assert.ok((await cwm.SystemAPI.getSystemTimeZoneSetups()).length > 0);
  assert.ok((await cwm.SystemAPI.getSystemMyCompanyCorporateStructureLevels()).length > 0);
  const mine = await cwm.SystemAPI.getSystemMySecurity({ pageSize: 1000 });
  assert.equal(mine[0].member.identifier, emu.admin.memberIdentifier);
});

test("writes: a role, an API member created, patched and read back; role delete refused while in use", async () => {
  const role = await cwm.SystemAPI.postSystemSecurityroles({ name: "Third Party Role" });
  assert.ok(role.id > 0);
  const member = await cwm.SystemAPI.postSystemApiMembers({ identifier: "TPCLIENT", name: "Third party", securityRole: { id: role.id } });
  const patched = await cwm.SystemAPI.patchSystemApiMembersById(member.id, [{ op: "replace", path: "name", value: "Renamed" }]);
  assert.equal(patched.name, "Renamed");
  const listed = await cwm.SystemAPI.getSystemApiMembers({ conditions: 'identifier="TPCLIENT"' });
  assert.equal(listed[0].securityRole.name, "Third Party Role");
  await assert.rejects(cwm.SystemAPI.deleteSystemSecurityrolesById(role.id));
});

test("pagination through the client's own paginate helper follows the emulator's pages", async () => {
  const con = new EmulatorConsole(emu.url, emu.consoleToken);
  for (let i = 0; i < 30; i++) await con.createRole(emu.admin.companyId, `Paged ${i}`);
  const all = await cwm.paginate(cwm.SystemAPI.getSystemSecurityroles, { startPage: 1, pageSize: 7 }, {});
  const total = (await cwm.request({ path: "/system/securityroles/count", method: "GET" })).count;
  assert.ok(total > 30);
  assert.equal(all.length, total);
});
