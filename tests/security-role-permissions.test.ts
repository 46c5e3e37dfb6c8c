// SecurityRolePermissions through the real dynamic-provider host and the harness engine, against
// the emulator: the runbook's matrix reported as a checklist (advisory) or a failure (strict), the
// admin's changes made in the emulator console, drift found by refresh, request counts from the
// emulator's log, and the names and levels a person can get wrong.
import { RUNBOOK, RUNBOOK_CLICKS, RUNBOOK_CUSTOMIZE_ACTION, RUNBOOK_LEVEL_ACTIONS } from "./support/runbook";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { securityRoleProvider } from "../providers/manage/security-role";
import { securityRolePermissionsProvider } from "../providers/manage/security-role-permissions";
import { compareLevels, PermissionMatrix } from "../providers/manage/permissions";
import type { SecurityRoleSetting } from "../providers/manage/client/schemas";
import { PROVIDER_VERSION } from "../providers/manage/version";
import { CheckFailedError, DesiredResource } from "./harness/engine";
import { HostError } from "./harness/provider-host";
import { LevelChange } from "./emulator/console-client";
import { startTenant, Tenant } from "./support/tenant";

const ROLE = "SecurityRole";
const PERMS = "SecurityRolePermissions";

const RUNBOOK_ACTIONS = RUNBOOK_LEVEL_ACTIONS;
const RUNBOOK_CUSTOMIZE = [RUNBOOK_CUSTOMIZE_ACTION];


let t: Tenant;

before(async () => {
  t = await startTenant();
});
after(async () => t.stop());

const role = (name: string, roleName: string): Promise<DesiredResource> =>
  t.desired(ROLE, name, securityRoleProvider, { name: roleName, providerVersion: PROVIDER_VERSION });

function perms(name: string, inputs: Record<string, unknown>, roleUrn?: string): Promise<DesiredResource> {
  return t.desired(PERMS, name, securityRolePermissionsProvider, { providerVersion: PROVIDER_VERSION, ...inputs }, roleUrn ? { dependencies: [roleUrn] } : {});
}

async function apiRequests() {
  return (await t.console.log()).entries;
}

const hostError = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof HostError, `expected a HostError, got ${String(e)}`);
  assert.match(e.message, pattern);
  return true;
};

describe("the runbook matrix, from a fresh role to compliance and drift", () => {
  const roleName = "Sync 365 License";
  const roleUrn = () => t.engine.urn(`pulumi-nodejs:dynamic/cwmanage:${ROLE}`, "role");
  const permsUrn = () => t.engine.urn(`pulumi-nodejs:dynamic/cwmanage:${PERMS}`, "perms");
  let roleId: number;
  const program = async (extra: Record<string, unknown> = {}) => [
    await role("role", roleName),
    await perms("perms", { roleId, roleName, permissions: RUNBOOK, enforcement: "advisory", ...extra }, roleUrn()),
  ];

  test("advisory: the role is created, the permissions resource records the exact checklist", async () => {
    // The role first (its id is the permissions' input, as an Output would carry it).
    await t.engine.apply([await role("role", roleName)]);
    roleId = t.engine.state.get(roleUrn())!.outputs.roleId as number;
    const remote = (await t.console.dump(t.companyId)).roles as Array<{ id: number; name: string }>;
    assert.ok(remote.some((r) => r.id === roleId && r.name === roleName), "the role exists in the tenant");

    await t.console.resetLog();
    const s = await t.engine.apply(await program());
    assert.deepEqual(s.created, [permsUrn()]);
    const out = t.engine.state.get(permsUrn())!.outputs;
    assert.equal(out.compliant, false);
    assert.deepEqual(out.actionsRequired, RUNBOOK_ACTIONS);
    assert.deepEqual(out.customizeToVerify, RUNBOOK_CUSTOMIZE);
    assert.deepEqual((out.observed as PermissionMatrix).Finance.Agreements, { add: "None", edit: "None", delete: "None", inquire: "None" });
    assert.equal(t.engine.state.get(permsUrn())!.id, `role-${roleId}`);
    // It only reads: the API cannot write levels, and the provider never pretends it did.
    const entries = await apiRequests();
    assert.deepEqual(entries.filter((e) => e.method !== "GET"), []);
    assert.equal(entries.filter((e) => /^\/system\/securityroles\/\{id\}\/settings$/i.test(e.route)).length, 1);
  });

  test("a non-compliant resource is planned as an update on every preview until it complies", async () => {
    assert.deepEqual(await t.engine.preview(await program()), { [roleUrn()]: "same", [permsUrn()]: "update" });
  });

  test("strict: create fails with the checklist and records nothing", async () => {
    const strict = await perms("perms-strict", { roleId, roleName, permissions: RUNBOOK, enforcement: "strict" });
    await assert.rejects(t.engine.apply([...(await program()), strict]), (e: unknown) => {
      assert.ok(e instanceof HostError && e.rpc === "create", `expected a failed Create, got ${String(e)}`);
      assert.match(e.message, /security role "Sync 365 License" is not as declared \(mode exact\)/);
      assert.match(e.message, /System › Security Roles › Sync 365 License/);
      for (const line of [...RUNBOOK_ACTIONS, ...RUNBOOK_CUSTOMIZE]) assert.ok(e.message.includes(`  - ${line}\n`), `checklist has: ${line}`);
      assert.match(e.message, /enforcement: advisory/);
      return true;
    });
    assert.equal(t.engine.get(`pulumi-nodejs:dynamic/cwmanage:${PERMS}`, "perms-strict"), undefined);
  });

  test("the admin makes the changes in the UI; refresh finds the role compliant; strict now creates", async () => {
    await t.console.setLevels(t.companyId, roleId, RUNBOOK_CLICKS);
    const r = await t.engine.refresh();
    assert.ok(r.updated.includes(permsUrn()));
    const st = t.engine.state.get(permsUrn())!;
    assert.equal(st.outputs.compliant, true);
    assert.deepEqual(st.outputs.actionsRequired, []);
    // The Customize list cannot be read through the role: it stays listed for the ApiKey to verify.
    assert.deepEqual(st.outputs.customizeToVerify, RUNBOOK_CUSTOMIZE);
    assert.deepEqual((st.outputs.observed as PermissionMatrix).Finance.Agreements, { add: "All", edit: "All", delete: "None", inquire: "All" });
    assert.deepEqual(Object.keys(st.outputs.observed as object).sort(), ["Companies", "Finance", "Procurement", "System"]);
    // Refresh returns the inputs, so the stored inputs still carry the declared matrix.
    assert.deepEqual(st.inputs.permissions, RUNBOOK);

    const strict = await perms("perms-strict", { roleId, roleName, permissions: RUNBOOK, enforcement: "strict" });
    await t.engine.apply([...(await program()), strict]);
    assert.equal(t.engine.get(`pulumi-nodejs:dynamic/cwmanage:${PERMS}`, "perms-strict")!.outputs.compliant, true);
    await t.engine.apply(await program()); // drop it again (no remote delete: nothing to delete)
  });

  test("a no-op apply sends no request at all", async () => {
    await t.console.resetLog();
    const s = await t.engine.apply(await program());
    assert.deepEqual(s.same.sort(), [permsUrn(), roleUrn()].sort());
    assert.deepEqual(await apiRequests(), []);
  });

  test("refresh reads the permissions with exactly one settings page", async () => {
    await t.console.resetLog();
    const r = await t.engine.refresh();
    assert.deepEqual(r.same.sort(), [permsUrn(), roleUrn()].sort(), "nothing changed, nothing to record");
    const entries = await apiRequests();
    const settingsPages = entries.filter((e) => /^\/system\/securityroles\/\{id\}\/settings$/i.test(e.route));
    assert.equal(settingsPages.length, 1);
    assert.equal(settingsPages[0].path.toLowerCase(), `/system/securityroles/${roleId}/settings`);
    // The other request is the SecurityRole's own read: one request per resource in state.
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.method === "GET" && e.status === 200));
  });

  test("an out-of-band extra level: refresh reports it (mode exact) and preview plans an update", async () => {
    await t.console.setLevels(t.companyId, roleId, [{ module: "Service Desk", function: "Service Tickets", inquire: "All" }]);
    await t.engine.refresh();
    const out = t.engine.state.get(permsUrn())!.outputs;
    assert.equal(out.compliant, false);
    assert.deepEqual(out.actionsRequired, ["Service Desk › Service Tickets: set Inquire to None (now All)"]);
    assert.deepEqual((out.observed as PermissionMatrix)["Service Desk"], { "Service Tickets": { add: "None", edit: "None", delete: "None", inquire: "All" } });
    assert.deepEqual(await t.engine.preview(await program()), { [roleUrn()]: "same", [permsUrn()]: "update" });

    // Strict enforcement now fails the update with that one line.
    await assert.rejects(
      t.engine.apply(await program({ enforcement: "strict" })),
      hostError(/\n {2}- Service Desk › Service Tickets: set Inquire to None \(now All\)\n/),
    );
  });

  test("mode atLeast ignores levels above the declared ones", async () => {
    const s = await t.engine.apply(await program({ mode: "atLeast" }));
    assert.deepEqual(s.updated, [permsUrn()]);
    const out = t.engine.state.get(permsUrn())!.outputs;
    assert.equal(out.compliant, true);
    assert.deepEqual(out.actionsRequired, []);
    assert.equal(out.mode, "atLeast");
    // ...but not levels below them.
    await t.console.setLevels(t.companyId, roleId, [{ module: "Finance", function: "Agreements", add: "My" }]);
    await t.engine.refresh();
    assert.deepEqual(t.engine.state.get(permsUrn())!.outputs.actionsRequired, ["Finance › Agreements: set Add to All (now My)"]);
    await t.console.setLevels(t.companyId, roleId, [{ module: "Finance", function: "Agreements", add: "All" }]);
    await t.engine.refresh();
    assert.equal(t.engine.state.get(permsUrn())!.outputs.compliant, true);
    assert.deepEqual(await t.engine.preview(await program({ mode: "atLeast" })), { [roleUrn()]: "same", [permsUrn()]: "same" });
  });

  test(
    "a refused read reaches the user as the client's sentence (403 on the settings page), and the state is kept",
    // Guards client/errors.ts: Pulumi's closure serializer turns `super(message)` into
    // `Error.call(this, message)`, which never sets `this.message`, so through the host a
    // ManageApiError arrived empty unless the constructor sets the message itself.
    async () => {
      await t.console.addFault({ companyId: t.companyId, method: "GET", path: `/securityroles/${roleId}/settings`, kind: "status", status: 403 });
      try {
        await assert.rejects(t.engine.refresh(), (e: unknown) => {
          assert.ok(e instanceof HostError && e.rpc === "read", String(e));
          assert.match(e.message, /lacks System › Security Roles \(Inquire\) \(403 on GET \/system\/securityRoles\/\d+\/settings/);
          return true;
        });
        assert.ok(t.engine.state.has(permsUrn()));
      } finally {
        await t.console.clearFaults();
      }
    },
  );

  test("the role deleted out of band: refresh drops the role and its permissions from state", async () => {
    await t.console.deleteRole(t.companyId, roleId);
    const r = await t.engine.refresh();
    assert.deepEqual(r.deleted.sort(), [permsUrn(), roleUrn()].sort());
    assert.equal(t.engine.state.size, 0);
  });
});

describe("names and levels a person gets wrong", () => {
  let roleId: number;
  before(async () => {
    roleId = (await t.console.createRole(t.companyId, "Typo Role")).id;
  });

  test("unknown module and function names fail with the closest known names", async () => {
    const bad = await perms("typos", {
      roleId,
      permissions: { Finanse: { Agreements: { inquire: "All" } }, Finance: { Agreement: { inquire: "All" } }, Procurement: { Products: { inquire: "All" } } },
      enforcement: "advisory",
    });
    await assert.rejects(t.engine.apply([bad]), (e: unknown) => {
      assert.ok(e instanceof HostError && e.rpc === "create", String(e));
      assert.match(e.message, /permissions name what this tenant does not have/);
      assert.match(e.message, /- permissions\.Finanse: unknown module "Finanse", did you mean "Finance"\?/);
      assert.match(e.message, /- permissions\.Finance\.Agreement: unknown function "Agreement" in Finance, did you mean "Agreements"/);
      assert.doesNotMatch(e.message, /Procurement/, "only the unknown names are listed");
      return true;
    });
    assert.equal(t.engine.state.size, 0, "even advisory enforcement does not record a matrix it cannot evaluate");
  });

  test("a Customize list on a function that has none is named", async () => {
    const bad = await perms("nocustom", { roleId, permissions: { Finance: { Invoicing: { inquire: "All", customize: ["Agreements / Batch"] } } }, enforcement: "advisory" });
    await assert.rejects(t.engine.apply([bad]), hostError(/permissions\.Finance\.Invoicing\.customize: Finance › Invoicing has no Customize list in the UI/));
  });

  test("a bad level fails check, naming the property, before any request", async () => {
    await t.console.resetLog();
    const bad = await perms("badlevel", { roleId, permissions: { Finance: { Agreements: { add: "Full", inquire: "all" } } } });
    await assert.rejects(t.engine.apply([bad]), (e: unknown) => {
      assert.ok(e instanceof CheckFailedError, String(e));
      assert.deepEqual(e.failures, [{ property: "permissions.Finance.Agreements.add", reason: 'level "Full" is not one of All, My, None' }]);
      return true;
    });
    assert.deepEqual(await apiRequests(), []);
  });

  test("levels are accepted in any letter case and stored as the UI writes them", async () => {
    const ok = await perms("case", { roleId, permissions: { Finance: { Agreements: { inquire: "all" } } }, enforcement: "advisory" });
    await t.engine.apply([ok]);
    const st = t.engine.get(`pulumi-nodejs:dynamic/cwmanage:${PERMS}`, "case")!;
    assert.deepEqual(st.inputs.permissions, { Finance: { Agreements: { inquire: "All" } } });
    assert.deepEqual(st.outputs.actionsRequired, ["Finance › Agreements: set Inquire to All (now None)"]);
    await t.engine.destroy();
  });

  test("a role id that does not exist fails create with a sentence", async () => {
    const bad = await perms("norole", { roleId: 987654, roleName: "Ghost", permissions: RUNBOOK, enforcement: "advisory" });
    await assert.rejects(t.engine.apply([bad]), hostError(/security role Ghost has no permission settings in this tenant: does role id 987654 exist\?/));
  });
});

describe("compareLevels (pure)", () => {
  const setting = (id: number, m: string, f: string, levels: Partial<Record<"addLevel" | "editLevel" | "deleteLevel" | "inquireLevel", "All" | "My" | "None">>): SecurityRoleSetting => ({
    id,
    moduleDescription: m,
    moduleFunctionDescription: f,
    addLevel: "None",
    editLevel: "None",
    deleteLevel: "None",
    inquireLevel: "None",
    ...levels,
  });
  const settings = [setting(1, "Finance", "Agreements", { inquireLevel: "My" }), setting(2, "Time & Expense", "Time Entry", { addLevel: "All" })];

  test("exact: every unlisted level must be None; atLeast: All > My > None", () => {
    const want: PermissionMatrix = { Finance: { Agreements: { inquire: "My" } } };
    assert.deepEqual(compareLevels(want, settings, "exact").actions, ["Time & Expense › Time Entry: set Add to None (now All)"]);
    assert.deepEqual(compareLevels(want, settings, "atLeast").actions, []);
    assert.deepEqual(compareLevels({ Finance: { Agreements: { inquire: "All" } } }, settings, "atLeast").actions, ["Finance › Agreements: set Inquire to All (now My)"]);
  });

  test("labels match loosely (case, spacing, & for and)", () => {
    const r = compareLevels({ "time and expense": { "TIME  ENTRY": { add: "All" } }, FINANCE: { agreements: { inquire: "My" } } }, settings, "exact");
    assert.deepEqual(r.unknown, []);
    assert.deepEqual(r.actions, []);
  });
});
