// The fault × operation matrix: every write the providers make and every read they depend on, each
// under each fault the emulator can inject, through the real dynamic-provider host. After the faulty
// step the step runs again as the engine would; the run converges, no duplicate ever exists, state
// and tenant agree, and the error shown in between is a sentence naming the request, not a stack.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { securityRoleProvider } from "../providers/manage/security-role";
import { apiMemberProvider } from "../providers/manage/api-member";
import { securityRolePermissionsProvider } from "../providers/manage/security-role-permissions";
import { PROVIDER_VERSION } from "../providers/manage/version";
import type { FaultSpec } from "./emulator/console-client";
import { DesiredResource, Engine } from "./harness/engine";
import { PROJECT, STACK, startTenant, Tenant } from "./support/tenant";
import { Ownership, ROLE_TYPE, Stack, assertInvariants, assertNoBlindResend, assertReadableError, tenantView } from "./support/invariants";

const TIMEOUT_MS = 300;
const MAX_ATTEMPTS = 4;

let t: Tenant;

before(async () => {
  t = await startTenant({
    extraConfig: { "cwmanage:maxAttempts": String(MAX_ATTEMPTS), "cwmanage:timeoutMs": String(TIMEOUT_MS) },
  });
});
after(async () => t.stop());

/** One cell's own stack and names, so cells never see each other's objects. */
interface Cell {
  stack: Stack;
  roleName: string;
  identifier: string;
}

const role = (c: Cell): Promise<DesiredResource> => t.desired("SecurityRole", "role", securityRoleProvider, { name: c.roleName, providerVersion: PROVIDER_VERSION });

const member = (c: Cell, version: 1 | 2): Promise<DesiredResource> =>
  t.desired("ApiMember", "member", apiMemberProvider, {
    identifier: c.identifier,
    name: version === 1 ? "Fault Sync" : "Fault Sync Renamed",
    securityRole: "Technician",
    defaultDepartment: version === 1 ? "Admin" : "Service",
    defaultLocation: "Main Office",
    timeZone: "Eastern",
    emailAddress: `${c.identifier.toLowerCase()}${version === 1 ? "" : ".v2"}@example.com`,
    notes: "managed by cw-manage-provisioner",
    providerVersion: PROVIDER_VERSION,
  });

const perms = (c: Cell): Promise<DesiredResource> => {
  const roleState = c.stack.engine.get(ROLE_TYPE, "role")!;
  return t.desired(
    "SecurityRolePermissions",
    "perms",
    securityRolePermissionsProvider,
    {
      roleId: roleState.outputs.roleId,
      roleName: c.roleName,
      // A fresh role has every level at None: compliant in exact mode, so strict enforcement passes.
      permissions: { System: { "Table Setup": { inquire: "None" } } },
      mode: "exact",
      providerVersion: PROVIDER_VERSION,
    },
    { dependencies: [roleState.urn] },
  );
};

interface Operation {
  name: string;
  /** Where the fault is injected. */
  method: string;
  path: string;
  /** How the failed request must be named in the error. */
  names: RegExp;
  /** Brings the cell to the state before the step; returns what is then declared. */
  setup(c: Cell): Promise<DesiredResource[]>;
  step(c: Cell): Promise<unknown>;
  /** What is declared once the step has converged. */
  declared(c: Cell): Promise<DesiredResource[]>;
  /** Objects the step creates (successful POSTs over the failed run and the re-run together). */
  creates: number;
  /** Extra checks once converged. */
  converged?(c: Cell): Promise<void>;
}

const none = async (): Promise<DesiredResource[]> => [];
const withRole = async (c: Cell) => { const d = [await role(c)]; await c.stack.up(d); return d; };
const withMember = async (c: Cell) => { const d = [await member(c, 1)]; await c.stack.up(d); return d; };
const memberInactive = async (c: Cell) => {
  const m = (await tenantView(t.console, t.companyId)).members.find((x) => x.identifier === c.identifier);
  assert.equal(m?.inactiveFlag, true, "destroy deactivated the member");
};

const OPERATIONS: Operation[] = [
  // Writes.
  { name: "role POST", method: "POST", path: "/system/securityroles", names: /POST \/system\/securityroles/i, setup: none,
    step: async (c) => c.stack.up([await role(c)]), declared: async (c) => [await role(c)], creates: 1 },
  { name: "role DELETE", method: "DELETE", path: "/system/securityroles/", names: /DELETE \/system\/securityroles\/\d+/i, setup: withRole,
    step: (c) => c.stack.destroy(), declared: none, creates: 0 },
  { name: "member POST", method: "POST", path: "/system/apiMembers", names: /POST \/system\/apiMembers/i, setup: none,
    step: async (c) => c.stack.up([await member(c, 1)]), declared: async (c) => [await member(c, 1)], creates: 1 },
  { name: "member PATCH", method: "PATCH", path: "/system/apiMembers/", names: /PATCH \/system\/apiMembers\/\d+/i, setup: withMember,
    step: async (c) => c.stack.up([await member(c, 2)]), declared: async (c) => [await member(c, 2)], creates: 0 },
  { name: "member deactivate (PATCH inactiveFlag)", method: "PATCH", path: "/system/apiMembers/", names: /PATCH \/system\/apiMembers\/\d+/i,
    setup: withMember, step: (c) => c.stack.destroy(), declared: none, creates: 0, converged: memberInactive },
  // Reads the writes depend on.
  { name: "role lookup by name", method: "GET", path: "/system/securityroles", names: /GET \/system\/securityroles/i, setup: none,
    step: async (c) => c.stack.up([await role(c)]), declared: async (c) => [await role(c)], creates: 1 },
  { name: "member lookup by identifier", method: "GET", path: "/system/apiMembers", names: /GET \/system\/apiMembers/i, setup: none,
    step: async (c) => c.stack.up([await member(c, 1)]), declared: async (c) => [await member(c, 1)], creates: 1 },
  { name: "reference lookup", method: "GET", path: "/system/departments", names: /GET \/system\/departments/i, setup: none,
    step: async (c) => c.stack.up([await member(c, 1)]), declared: async (c) => [await member(c, 1)], creates: 1 },
  { name: "role settings read", method: "GET", path: "/settings", names: /GET \/system\/securityRoles\/\d+\/settings/i, setup: withRole,
    step: async (c) => c.stack.up([await role(c), await perms(c)]), declared: async (c) => [await role(c), await perms(c)], creates: 0 },
  { name: "role read (refresh)", method: "GET", path: "/system/securityroles/", names: /GET \/system\/securityroles\/\d+/i, setup: withRole,
    step: (c) => c.stack.refresh(), declared: async (c) => [await role(c)], creates: 0 },
  { name: "member read (refresh)", method: "GET", path: "/system/apiMembers/", names: /GET \/system\/apiMembers\/\d+/i, setup: withMember,
    step: (c) => c.stack.refresh(), declared: async (c) => [await member(c, 1)], creates: 0 },
  { name: "self check before deactivation", method: "GET", path: "/system/mySecurity", names: /GET \/system\/mySecurity/i, setup: withMember,
    step: (c) => c.stack.destroy(), declared: none, creates: 0, converged: memberInactive },
];

interface FaultKind {
  name: string;
  spec: Omit<FaultSpec, "method" | "path" | "companyId">;
  /** Whether the burst outlasts the retry budget, so the step fails and must be run again. */
  fails: boolean;
  /** The reason the error must give when it fails. */
  reason?: RegExp;
  /** The least time the step must take (it waited, rather than hammering the tenant). */
  minMs?: number;
}

// Retry-After is fractional here only to keep 60 cells fast; the client reads whole seconds the
// same way, and the concurrency suite uses a whole second.
const RETRY_AFTER_S = 0.2;
const KINDS: FaultKind[] = [
  { name: "429 burst", spec: { kind: "status", status: 429, retryAfterSeconds: RETRY_AFTER_S, count: 2 }, fails: false, minMs: 2 * RETRY_AFTER_S * 1000 - 20 },
  { name: "503", spec: { kind: "status", status: 503, count: MAX_ATTEMPTS }, fails: true, reason: /with 503( after \d+ attempts)?, ServiceUnavailable: The service is temporarily unavailable/ },
  { name: "reset", spec: { kind: "reset", count: MAX_ATTEMPTS }, fails: true, reason: /did not answer .*ECONNRESET/ },
  { name: "commitThenDrop", spec: { kind: "commitThenDrop", count: 1 }, fails: false },
  { name: "slow response", spec: { kind: "delay", delayMs: TIMEOUT_MS + 150, count: 1 }, fails: false, minMs: TIMEOUT_MS - 10 },
];

let cellNo = 0;
function newCell(): Cell {
  const n = ++cellNo;
  const engine = new Engine({ host: t.host, project: PROJECT, stack: STACK, config: t.config, secretConfigKeys: ["cwmanage:privateKey"] });
  return { stack: new Stack(engine), roleName: `Fault role ${n}`, identifier: `FLT${n}` };
}

/** A cell owns its one role name and one member identifier ("Fault role 1" is not "Fault role 12"). */
const ownedBy = (c: Cell): Ownership => ({
  role: (name) => name.toLowerCase() === c.roleName.toLowerCase(),
  member: (identifier) => identifier.toLowerCase() === c.identifier.toLowerCase(),
});

for (const op of OPERATIONS) {
  for (const kind of KINDS) {
    test(`${op.name} × ${kind.name}`, async () => {
      const c = newCell();
      const owns = ownedBy(c);
      const check = (context: string, declared?: DesiredResource[]) =>
        assertInvariants(t.console, t.companyId, [c.stack], { owns, declared: declared && [declared], context: `${op.name} × ${kind.name}: ${context}` });

      await check("before the step", await op.setup(c));
      await t.console.resetLog();
      const fault = await t.console.addFault({ companyId: t.companyId, method: op.method, path: op.path, ...kind.spec });

      const started = Date.now();
      let failure: unknown;
      try {
        await op.step(c);
      } catch (e) {
        failure = e;
      }
      const elapsed = Date.now() - started;
      const hits = (await t.console.listFaults()).find((f) => f.id === fault.id)?.hits ?? 0;
      await t.console.clearFaults();
      assert.ok(hits >= 1, `the fault never hit ${op.method} ${op.path}`);

      if (kind.fails) {
        assert.ok(failure, `a ${kind.name} burst of ${kind.spec.count} outlasts ${MAX_ATTEMPTS} attempts: the step must fail`);
        assertReadableError(failure, [op.names, kind.reason!], `${op.name} × ${kind.name}`);
        await check("after the failed step");
      } else {
        assert.equal(failure, undefined, `a ${kind.name} within the retry budget must not fail the step: ${failure instanceof Error ? failure.message : ""}`);
        if (kind.minMs !== undefined) assert.ok(elapsed >= kind.minMs, `the step waited ${elapsed} ms, expected at least ${kind.minMs} ms`);
      }

      // Run the step again, as the engine would: it finishes what failed, or has nothing left to write.
      const writes = async () => (await t.console.log()).entries.filter((e) => e.method !== "GET").length;
      const writesBefore = await writes();
      await op.step(c);
      if (!failure) assert.equal(await writes(), writesBefore, "the step absorbed the fault: running it again writes nothing");

      const declared = await op.declared(c);
      await check("converged", declared);
      await op.converged?.(c);
      const plan = await c.stack.engine.preview(declared);
      assert.ok(Object.values(plan).every((p) => p === "same"), `nothing left to do once converged: ${JSON.stringify(plan)}`);

      await assertNoBlindResend(t.console, t.companyId, op.name);
      const created = (await t.console.log()).entries.filter((e) => e.method === "POST" && e.status === 201);
      assert.equal(created.length, op.creates, `objects created over the failed run and the re-run: ${created.map((e) => e.path).join(", ")}`);
    });
  }
}

test("a slow response past the whole retry budget fails the read with a timeout sentence; nothing is written", async () => {
  const c = newCell();
  const owns = ownedBy(c);
  await t.console.resetLog();
  await t.console.addFault({ companyId: t.companyId, method: "GET", path: "/system/securityroles", kind: "delay", delayMs: TIMEOUT_MS + 150, count: MAX_ATTEMPTS });
  let failure: unknown;
  try {
    await c.stack.up([await role(c)]);
  } catch (e) {
    failure = e;
  }
  await t.console.clearFaults();
  assertReadableError(failure, [/did not answer GET \/system\/securityroles after 4 attempts: timed out \(ECONNABORTED\)/]);
  assert.equal((await t.console.log()).entries.filter((e) => e.method !== "GET").length, 0, "no write without the lookup");
  await assertInvariants(t.console, t.companyId, [c.stack], { owns });
  await c.stack.up([await role(c)]);
  await assertInvariants(t.console, t.companyId, [c.stack], { owns, declared: [[await role(c)]] });
});
