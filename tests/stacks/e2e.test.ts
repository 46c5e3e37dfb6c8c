// End to end without the CLI: the program's registrations routed into the engine harness (the
// real dynamic-provider host over gRPC) against the Manage emulator. The sandbox story:
// first up -> checklist and no key; the admin's part through the console (the same functions as
// `npm run sandbox -- admin`); second up -> compliant with a verified key; third up -> nothing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { HostError } from "../harness/provider-host";
import { ProgramRunResult } from "../harness/engine";
import { World, playAdmin, world } from "../support/stack-world";
import { RUNBOOK_CUSTOMIZE_ACTION, RUNBOOK_LEVEL_ACTIONS } from "../support/runbook";

const T = (name: string) => `pulumi-nodejs:dynamic/cwmanage:${name}`;

const writes = (log: { entries: Array<{ method: string }> }) => log.entries.filter((e) => e.method !== "GET").length;

describe("the sandbox story, through the engine, against the emulator", () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => w.stop());

  const urn = (type: string, name: string) => w.engine.urn(T(type), name);
  let first: ProgramRunResult;

  test("first up: role and member created, the checklist as outputs, no key", async () => {
    first = await w.up();
    assert.deepEqual(first.summary.created.sort(), [
      urn("ApiKey", "s365l-key"),
      urn("ApiMember", "s365l-member"),
      urn("SecurityRole", "s365l-role"),
      urn("SecurityRolePermissions", "s365l-permissions"),
    ].sort());
    const out = first.outputs.s365l as Record<string, unknown>;
    assert.equal(out.compliant, false);
    assert.equal(out.memberIdentifier, "S365L");
    assert.equal(out.publicKey, "");
    assert.equal(out.fingerprint, "");
    const actions = out.actionsRequired as string[];
    assert.deepEqual(actions.slice(0, 11), [...RUNBOOK_LEVEL_ACTIONS, RUNBOOK_CUSTOMIZE_ACTION]);
    assert.equal(actions[11], "S365L: create an API key in the UI and hand it over (the API cannot create keys)");
    assert.ok(actions.includes("       pulumi config set --stack dev --path --secret 'apiKeys.S365L.privateKey' <private key>"));

    const dump = (await w.con.dump(w.emu.admin.companyId)) as { roles: Array<{ id: number; name: string }>; members: Array<{ identifier: string; securityRole?: { name?: string } }> };
    const role = dump.roles.find((r) => r.name === "Sync365 License")!;
    assert.equal(out.roleId, role.id);
    assert.equal(dump.members.find((m) => m.identifier === "S365L")?.securityRole?.name, "Sync365 License");
    assert.deepEqual(await w.con.listKeys(w.emu.admin.companyId, "S365L"), [], "no key: the API cannot make one");
    assert.equal(w.engine.state.get(urn("ApiKey", "s365l-key"))!.id, "pending-S365L");
  });

  test("the admin's part: levels, the Customize list, a key, handed over as secret config", async () => {
    const done = await playAdmin(w, first.outputs);
    assert.deepEqual(done, [
      "Companies › Company Maintenance: inquire All",
      "Finance › Agreement Invoicing: inquire All",
      "Finance › Agreements: add All, edit All, inquire All",
      "Finance › Invoicing: inquire All",
      "Procurement › Product Catalog: inquire All",
      "Procurement › Products: inquire All",
      "System › Table Setup: edit All, inquire All",
      'System › Table Setup: Customize = "Agreements / Batch"',
      'S365L: API key "s365l" created and handed over at apiKeys.S365L',
    ]);
    const keys = await w.con.listKeys(w.emu.admin.companyId, "S365L");
    assert.equal(keys.length, 1);
    const handed = JSON.parse(w.config["cw-manage-provisioner:apiKeys"]);
    assert.equal(handed.S365L.publicKey, keys[0].publicKey);
    assert.ok(w.secretKeys.includes("cw-manage-provisioner:apiKeys"), "--secret marks the apiKeys config secret");
  });

  test("second up: permissions compliant, the key verified and compliant; the private key stored as a secret", async () => {
    const second = await w.up();
    assert.deepEqual(second.summary.created, []);
    assert.deepEqual(second.summary.updated, [urn("SecurityRolePermissions", "s365l-permissions")]);
    assert.deepEqual(second.summary.replaced, [urn("ApiKey", "s365l-key")], "a key pair is a new key");
    assert.deepEqual(second.summary.same.sort(), [urn("ApiMember", "s365l-member"), urn("SecurityRole", "s365l-role")].sort());
    const out = second.outputs.s365l as Record<string, unknown>;
    const handed = JSON.parse(w.config["cw-manage-provisioner:apiKeys"]).S365L;
    assert.equal(out.compliant, true);
    assert.deepEqual(out.actionsRequired, []);
    assert.equal(out.publicKey, handed.publicKey);
    assert.equal(out.privateKey, handed.privateKey);
    assert.match(out.fingerprint as string, /^sha256:[0-9a-f]{32}$/);
    assert.deepEqual(second.secretOutputs, ["s365l"], "the output holding the private key is secret");
    const key = w.engine.state.get(urn("ApiKey", "s365l-key"))!;
    assert.equal(key.outputs.verified, true);
    assert.ok(key.secretInputs.includes("privateKey"));
    assert.ok(key.secretOutputs.includes("privateKey"));
    assert.ok(!key.secretOutputs.includes("publicKey"));
  });

  test("third up: no change, no write, not a single request", async () => {
    await w.con.resetLog();
    const third = await w.up();
    assert.deepEqual([third.summary.created, third.summary.updated, third.summary.replaced, third.summary.deleted], [[], [], [], []]);
    assert.equal(third.summary.same.length, 4);
    assert.equal((third.outputs.s365l as Record<string, unknown>).compliant, true);
    const log = await w.con.log();
    assert.equal(writes(log), 0, "zero POST/PATCH/PUT/DELETE");
    assert.equal(log.total, 0, "a no-op apply sends no request at all");
  });
});

describe("an existing role and an existing member, next to the preset", () => {
  test("the existing role is looked up and verified, never changed; the key goes on the existing user", async () => {
    const w = await world((list) =>
      list.push({
        name: "tech",
        role: { existing: "Technician", mode: "atLeast", permissions: { "Service Desk": { "Service Tickets": { inquire: "All" } } } },
        existingMember: "jtech",
        key: { description: "tech integration" },
      }),
    );
    try {
      const first = await w.up();
      const tech = first.outputs.tech as Record<string, unknown>;
      const dump = (await w.con.dump(w.emu.admin.companyId)) as { roles: Array<{ id: number; name: string; lastUpdated: string }> };
      const technician = dump.roles.find((r) => r.name === "Technician")!;
      assert.equal(tech.roleId, technician.id);
      assert.equal(tech.compliant, false, "no key yet");
      assert.match((tech.actionsRequired as string[])[0], /^jtech: create an API key/);
      assert.equal((tech.actionsRequired as string[]).length, 7, "only the hand-over: the role already has what is asked");
      assert.equal(w.engine.state.get(w.engine.urn(T("ExistingSecurityRole"), "tech-role"))!.outputs.roleId, technician.id);
      assert.equal(w.engine.state.get(w.engine.urn(T("ApiMember"), "tech-member")), undefined);

      await playAdmin(w, first.outputs);
      const second = await w.up();
      const after = second.outputs.tech as Record<string, unknown>;
      assert.equal(after.compliant, true);
      assert.equal(after.memberId, 2, "jtech's id, proven by its key");
      assert.equal((second.outputs.s365l as Record<string, unknown>).compliant, true);
      const again = (await w.con.dump(w.emu.admin.companyId)) as { roles: Array<{ name: string; lastUpdated: string }> };
      assert.equal(again.roles.find((r) => r.name === "Technician")!.lastUpdated, technician.lastUpdated, "the existing role was not touched");
    } finally {
      await w.stop();
    }
  });

  test("an existing role the tenant does not have: did you mean", async () => {
    const w = await world((list) => list.push({ name: "tech", role: { existing: "Technican" }, existingMember: "jtech" }));
    try {
      await assert.rejects(w.up(), (e: unknown) => e instanceof HostError && /no security role "Technican" in this tenant, did you mean "Technician"\?/.test(e.message));
    } finally {
      await w.stop();
    }
  });
});

describe("enforcement: strict", () => {
  test("a first run fails with the checklist, after the role and the member exist", async () => {
    const w = await world(() => undefined, { "cw-manage-provisioner:enforcement": "strict" });
    try {
      await assert.rejects(w.up(), (e: unknown) => {
        assert.ok(e instanceof HostError);
        assert.match(e.message, /is not as declared|create an API key in the UI/);
        return true;
      });
      assert.ok(w.engine.state.get(w.engine.urn(T("SecurityRole"), "s365l-role")));
      assert.ok(w.engine.state.get(w.engine.urn(T("ApiMember"), "s365l-member")), "the member exists before the checklist fails the run");
      assert.equal(w.engine.state.get(w.engine.urn(T("SecurityRolePermissions"), "s365l-permissions")), undefined);
    } finally {
      await w.stop();
    }
  });
});
