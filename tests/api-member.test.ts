// ApiMember through the real dynamic-provider host against the emulator: create -> no-op ->
// refresh -> out-of-band drift fixed by PATCH -> adopt -> replace -> deactivate -> gone.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { apiMemberProvider } from "../providers/manage/api-member";
import { ManageClient, apiMemberSchema, securityRoleSchema } from "../providers/manage/client";
import { startProviderHost } from "./harness/provider-host";
import { Engine } from "./harness/engine";
import { PROJECT, ROOT, STACK, startTenant, Tenant } from "./support/tenant";

let t: Tenant;
let admin: ManageClient;
const TYPE = "ApiMember";
const MEMBERS = "/system/apiMembers";
const urnOf = (name: string) => t.engine.urn(`pulumi-nodejs:dynamic/cwmanage:${TYPE}`, name);

before(async () => {
  t = await startTenant();
  admin = new ManageClient({ site: t.emu.url, ...t.emu.admin });
});
after(async () => t.stop());

const member = (name: string, inputs: Record<string, unknown>) => t.desired(TYPE, name, apiMemberProvider, inputs);
const full = {
  identifier: "S365L",
  name: "Sync 365 License",
  securityRole: "Technician",
  defaultDepartment: "Admin",
  defaultLocation: "Main Office",
  securityLocation: "Main Office",
  salesDefaultLocation: "Remote",
  structureLevel: "Corporate (Level 1)",
  timeZone: "Eastern",
  emailAddress: "s365l@example.com",
  notes: "managed by cw-manage-provisioner",
};
const byIdentifier = (identifier: string) => admin.list(MEMBERS, apiMemberSchema(), { conditions: `identifier="${identifier}"` });
const methods = async () => (await t.console.log()).entries.map((e) => `${e.method} ${e.route}`);

test("create, no-op, refresh, drift fixed by a PATCH of only what changed, deactivate on destroy", async () => {
  await t.console.resetLog();
  await t.engine.apply([await member("s365l", full)]);
  const state = t.engine.state.get(urnOf("s365l"))!;
  const remote = await admin.get(`${MEMBERS}/${state.id}`, apiMemberSchema());
  assert.equal(remote.identifier, "S365L");
  assert.equal(remote.name, "Sync 365 License");
  assert.equal(remote.securityRole?.name, "Technician");
  assert.equal(remote.defaultDepartment?.identifier, "Admin");
  assert.equal(remote.salesDefaultLocation?.name, "Remote");
  assert.equal(remote.structureLevel?.name, "Corporate (Level 1)");
  assert.equal(remote.timeZone?.name, "Eastern");
  assert.equal(remote.emailAddress, "s365l@example.com");
  assert.equal(state.outputs.memberId, remote.id);
  assert.equal((await methods()).filter((m) => m.startsWith("POST")).length, 1);

  await t.console.resetLog();
  assert.deepEqual((await t.engine.apply([await member("s365l", full)])).same, [urnOf("s365l")]);
  assert.equal((await t.console.log()).total, 0, "a no-op apply sends no request");

  await t.engine.refresh();
  assert.deepEqual(t.engine.state.get(urnOf("s365l"))!.outputs, state.outputs, "no drift right after create");
  assert.equal((await t.console.log()).total, 1, "refresh reads the member once");

  // Someone edits the member in the UI.
  await t.console.patchMember(t.companyId, remote.id, { name: "Renamed In UI", defaultLocation: { id: 3 } });
  await t.engine.refresh();
  const drifted = t.engine.state.get(urnOf("s365l"))!;
  assert.equal(drifted.inputs.name, "Renamed In UI");
  assert.equal(drifted.inputs.defaultLocation, "West Coast");
  assert.equal(drifted.inputs.securityLocation, "Main Office", "an unchanged reference keeps the stack's name");
  assert.deepEqual(await t.engine.preview([await member("s365l", full)]), { [urnOf("s365l")]: "update" });

  await t.console.resetLog();
  assert.deepEqual((await t.engine.apply([await member("s365l", full)])).updated, [urnOf("s365l")]);
  const fixed = await admin.get(`${MEMBERS}/${remote.id}`, apiMemberSchema());
  assert.equal(fixed.name, "Sync 365 License");
  assert.equal(fixed.defaultLocation?.name, "Main Office");
  const writes = (await methods()).filter((m) => !m.startsWith("GET"));
  assert.deepEqual(writes, [`PATCH ${MEMBERS}/{id}`], "one PATCH, no re-create");
  await t.engine.refresh();
  assert.deepEqual(await t.engine.preview([await member("s365l", full)]), { [urnOf("s365l")]: "same" }, "refresh after update shows no diff");

  await t.engine.destroy();
  const after = await admin.get(`${MEMBERS}/${remote.id}`, apiMemberSchema());
  assert.equal(after.inactiveFlag, true, "destroy deactivates (the API cannot delete members)");
});

test("unknown references fail before any write, with the closest names", async () => {
  await t.console.resetLog();
  await assert.rejects(
    t.engine.apply([await member("typo", { ...full, identifier: "TYPO1", defaultDepartment: "Admn", timeZone: "Pacfic" })]),
    (e: Error) => {
      assert.match(e.message, /defaultDepartment: no department "Admn" in this tenant, did you mean "Admin"/);
      assert.match(e.message, /timeZone: no time zone setup "Pacfic" in this tenant, did you mean "Pacific"/);
      return true;
    },
  );
  assert.equal((await methods()).filter((m) => !m.startsWith("GET")).length, 0);
  assert.equal((await byIdentifier("TYPO1")).length, 0);
});

test("check names the field and what is accepted", async () => {
  await assert.rejects(t.engine.apply([await member("long", { ...full, identifier: "S365LLICENSESYNC1" })]), /identifier: at most 15 characters/);
  await assert.rejects(t.engine.apply([await member("chars", { ...full, identifier: "S365-L" })]), /identifier: letters and digits only/);
  await assert.rejects(t.engine.apply([await member("mail", { ...full, identifier: "MAIL1", emailAddress: "nope" })]), /emailAddress: not an e-mail address/);
  await assert.rejects(t.engine.apply([await member("norole", { identifier: "NOROLE", name: "x" })]), /securityRole/);
});

test("an existing member needs adopt; adopting reactivates it and applies the declared fields", async () => {
  const role = (await admin.list("/system/securityroles", securityRoleSchema(), { conditions: 'name="Finance"' }))[0];
  const existing = await admin.post(MEMBERS, { identifier: "OLDSYNC", name: "Old name", securityRole: { id: role.id } }, apiMemberSchema());
  await t.console.patchMember(t.companyId, existing.id, { inactiveFlag: true });
  const declared = { ...full, identifier: "OLDSYNC", name: "Adopted Sync" };
  await assert.rejects(t.engine.apply([await member("old", declared)]), /API member "OLDSYNC" already exists in this tenant \(id \d+, inactive\)\. To manage it with this stack set adopt: true/);
  await t.engine.apply([await member("old", { ...declared, adopt: true })]);
  const state = t.engine.state.get(urnOf("old"))!;
  assert.equal(state.id, String(existing.id));
  assert.equal(state.outputs.adopted, true);
  const live = await admin.get(`${MEMBERS}/${existing.id}`, apiMemberSchema());
  assert.equal(live.name, "Adopted Sync");
  assert.equal(live.inactiveFlag, false);
  assert.equal(live.securityRole?.name, "Technician");
  assert.equal((await byIdentifier("OLDSYNC")).length, 1, "no duplicate");
  assert.deepEqual(await t.engine.preview([await member("old", { ...declared, adopt: true })]), { [urnOf("old")]: "same" });
  await t.engine.destroy();
});

test("a new identifier replaces the member: the new one is created, the old one deactivated", async () => {
  await t.engine.apply([await member("rep", { ...full, identifier: "REPA" })]);
  const oldId = t.engine.state.get(urnOf("rep"))!.id;
  assert.deepEqual(await t.engine.preview([await member("rep", { ...full, identifier: "REPB" })]), { [urnOf("rep")]: "replace" });
  await t.engine.apply([await member("rep", { ...full, identifier: "REPB" })]);
  assert.equal((await admin.get(`${MEMBERS}/${oldId}`, apiMemberSchema())).inactiveFlag, true);
  const [created] = await byIdentifier("REPB");
  assert.equal(created.inactiveFlag ?? false, false);
  assert.equal(t.engine.state.get(urnOf("rep"))!.id, String(created.id));
  await t.engine.apply([await member("rep", { ...full, identifier: "REPB", onDelete: "retain" })]);
  await t.engine.destroy();
  assert.equal((await admin.get(`${MEMBERS}/${created.id}`, apiMemberSchema())).inactiveFlag ?? false, false, "retain leaves it active");
});

test("a member deleted out of band leaves state on refresh; a dropped create response makes no duplicate", async () => {
  await t.console.addFault({ kind: "commitThenDrop", method: "POST", path: MEMBERS, count: 1 });
  await t.console.resetLog();
  await t.engine.apply([await member("oob", { ...full, identifier: "OOB1" })]);
  assert.equal((await byIdentifier("OOB1")).length, 1);
  assert.equal((await methods()).filter((m) => m === `POST ${MEMBERS}`).length, 1, "the POST was not re-sent");
  const id = Number(t.engine.state.get(urnOf("oob"))!.id);
  await t.console.deleteMember(t.companyId, id);
  await t.engine.refresh();
  assert.equal(t.engine.state.has(urnOf("oob")), false);
});

test("refuses to deactivate the member whose keys the provider signs in with", async () => {
  const adminRole = (await admin.list("/system/securityroles", securityRoleSchema(), { conditions: 'name="Admin"' }))[0];
  await admin.post(MEMBERS, { identifier: "PROVISIONER", name: "Provisioner", securityRole: { id: adminRole.id } }, apiMemberSchema());
  const key = await t.console.createKey(t.companyId, "PROVISIONER", "iac");
  const host = await startProviderHost({ cwd: ROOT, project: PROJECT, env: { CWMANAGE_QUIET: "1" } });
  const engine = new Engine({ host, project: PROJECT, stack: STACK, config: { ...t.config, "cwmanage:publicKey": key.publicKey, "cwmanage:privateKey": key.privateKey } });
  try {
    await engine.apply([await member("self", { identifier: "PROVISIONER", name: "Provisioner", securityRole: "Admin", adopt: true })]);
    await assert.rejects(engine.destroy(), /refusing to deactivate API member PROVISIONER: it is the member whose keys this provider signs in with/);
    const [live] = await byIdentifier("PROVISIONER");
    assert.equal(live.inactiveFlag ?? false, false);
  } finally {
    await host.stop();
  }
});
