// SecurityRole through the real dynamic-provider host against the emulator, in the order
// Terraform acceptance tests use: create -> no-op -> refresh -> adopt -> replace -> delete -> gone.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { securityRoleProvider } from "../providers/manage/security-role";
import { ManageClient, securityRoleSchema, apiMemberSchema } from "../providers/manage/client";
import { startTenant, Tenant } from "./support/tenant";

let t: Tenant;
let admin: ManageClient;
const TYPE = "SecurityRole";
const ROLES = "/system/securityroles";

before(async () => {
  t = await startTenant();
  admin = new ManageClient({ site: t.emu.url, ...t.emu.admin });
});
after(async () => t.stop());

const role = (name: string, inputs: Record<string, unknown>) => t.desired(TYPE, name, securityRoleProvider, inputs);
const rolesNamed = (name: string) => admin.list(ROLES, securityRoleSchema(), { conditions: `name="${name}"` });

test("create, no-op, refresh, replace on rename, delete", async () => {
  const urn = t.engine.urn(`pulumi-nodejs:dynamic/cwmanage:${TYPE}`, "main");
  let summary = await t.engine.apply([await role("main", { name: "Sync365 License" })]);
  assert.deepEqual(summary.created, [urn]);
  const state = t.engine.state.get(urn)!;
  const remote = await admin.get(`${ROLES}/${state.id}`, securityRoleSchema());
  assert.equal(remote.name, "Sync365 License");
  assert.equal(state.outputs.roleId, remote.id);
  assert.equal(state.outputs.adopted, false);

  await t.console.resetLog();
  summary = await t.engine.apply([await role("main", { name: "Sync365 License" })]);
  assert.deepEqual(summary.same, [urn]);
  assert.equal((await t.console.log()).total, 0, "a no-op apply sends no request");

  summary = await t.engine.refresh();
  assert.deepEqual(t.engine.state.get(urn)!.outputs, state.outputs, "refresh right after create shows no drift");
  assert.equal((await t.console.log()).total, 1, "refresh reads the role once");

  assert.deepEqual(await t.engine.preview([await role("main", { name: "Sync365 Licence" })]), { [urn]: "replace" });
  summary = await t.engine.apply([await role("main", { name: "Sync365 Licence" })]);
  assert.deepEqual(summary.replaced, [urn]);
  assert.equal((await rolesNamed("Sync365 License")).length, 0, "the old role is deleted after the new one exists");
  assert.equal((await rolesNamed("Sync365 Licence")).length, 1);

  const newId = t.engine.state.get(urn)!.id;
  await t.engine.destroy();
  assert.equal(await admin.find(`${ROLES}/${newId}`, securityRoleSchema()), undefined, "destroy deletes the role");
});

test("an existing role is an error that says how to adopt; adopt takes it over without a duplicate", async () => {
  const existing = await t.console.createRole(t.companyId, "Already There");
  await assert.rejects(t.engine.apply([await role("taken", { name: "Already There" })]), (e: Error) => {
    assert.match(e.message, /security role "Already There" already exists in this tenant \(id \d+\)/);
    assert.match(e.message, /set adopt: true/);
    return true;
  });
  const urn = t.engine.urn(`pulumi-nodejs:dynamic/cwmanage:${TYPE}`, "taken");
  await t.engine.apply([await role("taken", { name: "Already There", adopt: true })]);
  assert.equal(t.engine.state.get(urn)!.id, String(existing.id));
  assert.equal(t.engine.state.get(urn)!.outputs.adopted, true);
  assert.equal((await rolesNamed("Already There")).length, 1);
  const again = await t.engine.apply([await role("taken", { name: "Already There", adopt: true })]);
  assert.deepEqual(again.same, [urn]);
  await t.engine.destroy();
});

test("check names the field and the limit", async () => {
  await assert.rejects(t.engine.apply([await role("long", { name: "x".repeat(31) })]), /name: name: at most 30 characters/);
  await assert.rejects(t.engine.apply([await role("typo", { name: "ok", adpot: true })]), /adpot/);
  await assert.rejects(t.engine.apply([await role("bad", { name: "ok", onDelete: "drop" })]), /onDelete must be "delete" or "retain"/);
});

test("a role deleted out of band leaves state on refresh", async () => {
  const urn = t.engine.urn(`pulumi-nodejs:dynamic/cwmanage:${TYPE}`, "gone");
  await t.engine.apply([await role("gone", { name: "Deleted Out Of Band" })]);
  await t.console.deleteRole(t.companyId, Number(t.engine.state.get(urn)!.id));
  await t.engine.refresh();
  assert.equal(t.engine.state.has(urn), false);
  assert.deepEqual(await t.engine.preview([await role("gone", { name: "Deleted Out Of Band" })]), { [urn]: "create" });
  await t.engine.destroy();
});

test("delete is refused with a clear message while a member uses the role; retain leaves it", async () => {
  const urn = t.engine.urn(`pulumi-nodejs:dynamic/cwmanage:${TYPE}`, "used");
  await t.engine.apply([await role("used", { name: "In Use Role" })]);
  const roleId = Number(t.engine.state.get(urn)!.id);
  await admin.post("/system/apiMembers", { identifier: "USES", name: "Uses the role", securityRole: { id: roleId } }, apiMemberSchema());
  await assert.rejects(t.engine.destroy(), (e: Error) => {
    assert.match(e.message, /security role "In Use Role" \(id \d+\) cannot be deleted/);
    assert.match(e.message, /USES/);
    assert.match(e.message, /onDelete: "retain"/);
    return true;
  });
  assert.ok(await admin.find(`${ROLES}/${roleId}`, securityRoleSchema()));
  await t.engine.apply([await role("used", { name: "In Use Role", onDelete: "retain" })]);
  await t.engine.destroy();
  assert.equal(t.engine.state.size, 0);
  assert.ok(await admin.find(`${ROLES}/${roleId}`, securityRoleSchema()), "retained in the tenant");
});
