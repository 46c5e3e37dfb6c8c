// A seeded randomized run: many steps of random operations (apply with random roles and members
// from a small pool, field changes, removals, renames and replacements, refresh, destroy), most of
// them under a random fault, against the emulator through the real provider host. After every step
// the invariants hold; a failed step shows a sentence and converges when run again, as a user would.
// FAULT_SEED=<n> replays a run (the seed is in the test name); FAULT_STEPS=<n> changes its length.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { securityRoleProvider } from "../providers/manage/security-role";
import { apiMemberProvider } from "../providers/manage/api-member";
import { PROVIDER_VERSION } from "../providers/manage/version";
import type { FaultSpec } from "./emulator/console-client";
// The emulator's own PRNG (mulberry32): the same seed gives the same run.
import { prng } from "./emulator/faults";
import { DesiredResource } from "./harness/engine";
import { startTenant, Tenant } from "./support/tenant";
import { Stack, assertInvariants, assertNoBlindResend, assertReadableError, ownedByPrefix } from "./support/invariants";

const SEED = Number(process.env.FAULT_SEED ?? 1234);
const STEPS = Number(process.env.FAULT_STEPS ?? 150);
const TIMEOUT_MS = 300;
const MAX_ATTEMPTS = 3;
const PREFIX = "RND";


let t: Tenant;
before(async () => {
  t = await startTenant({ extraConfig: { "cwmanage:maxAttempts": String(MAX_ATTEMPTS), "cwmanage:timeoutMs": String(TIMEOUT_MS) } });
});
after(async () => t.stop());

const ROLE_NAMES = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"].map((n) => `${PREFIX} ${n}`);
const MEMBER_FIELDS: Record<string, string[]> = {
  name: ["Random Sync", "License Sync", "Backup Sync"],
  securityRole: ["Technician", "Finance", "Sales"],
  defaultDepartment: ["Admin", "Service", "Finance"],
  defaultLocation: ["Main Office", "Remote", "West Coast"],
  timeZone: ["Eastern", "Central", "Pacific"],
  notes: ["managed", "managed by cw-manage-provisioner", "randomized run"],
};
const ROLE_SLOTS = ["r1", "r2"];
const MEMBER_SLOTS = ["m1", "m2"];

interface Model {
  roles: Record<string, string>;
  members: Record<string, Record<string, string>>;
}

type Target = { method?: string; path?: string };
const ROLES = "/system/securityroles";
const MEMBERS = "/system/apiMembers";
const REFERENCE_READS: Target[] = ["/system/securityroles", "/system/departments", "/system/locations", "/system/timeZoneSetups"].map((path) => ({ method: "GET", path }));

type Change = ["role" | "member", "create" | "update" | "delete"];

/** The requests each kind of step on each resource makes: the writes and the reads they depend on. */
const REQUESTS: Record<"role" | "member", Record<"create" | "update" | "delete" | "read", Target[]>> = {
  role: {
    create: [{ method: "POST", path: ROLES }, { method: "GET", path: ROLES }],
    update: [],
    delete: [{ method: "DELETE", path: `${ROLES}/` }],
    read: [{ method: "GET", path: `${ROLES}/` }],
  },
  member: {
    create: [{ method: "POST", path: MEMBERS }, { method: "GET", path: MEMBERS }, ...REFERENCE_READS],
    update: [{ method: "PATCH", path: `${MEMBERS}/` }, ...REFERENCE_READS],
    delete: [{ method: "GET", path: "/system/mySecurity" }, { method: "PATCH", path: `${MEMBERS}/` }],
    read: [{ method: "GET", path: `${MEMBERS}/` }],
  },
};

test(`randomized: ${STEPS} steps, seed ${SEED}`, async (tc) => {
  tc.diagnostic(`replay with FAULT_SEED=${SEED} FAULT_STEPS=${STEPS}`);
  const rnd = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const chance = (p: number) => rnd() < p;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

  const stack = new Stack(t.engine);
  const owns = ownedByPrefix(PREFIX, PREFIX);
  let model: Model = { roles: {}, members: {} };
  let memberSeq = 0;
  const stats = { apply: 0, same: 0, refresh: 0, destroy: 0, faults: 0, hits: 0, failed: 0 };
  const deadline = Date.now() + 300_000; // a guard against a runaway (hung) run, far above its usual 20 s; not a speed check

  const newMember = (): Record<string, string> => {
    const identifier = `${PREFIX}${++memberSeq}`;
    const m: Record<string, string> = { identifier, emailAddress: `${identifier.toLowerCase()}@example.com` };
    for (const [f, values] of Object.entries(MEMBER_FIELDS)) m[f] = pick(values);
    return m;
  };

  const desiredOf = async (m: Model): Promise<DesiredResource[]> => [
    ...(await Promise.all(
      ROLE_SLOTS.filter((s) => m.roles[s]).map((s) => t.desired("SecurityRole", s, securityRoleProvider, { name: m.roles[s], providerVersion: PROVIDER_VERSION })),
    )),
    ...(await Promise.all(
      MEMBER_SLOTS.filter((s) => m.members[s]).map((s) => t.desired("ApiMember", s, apiMemberProvider, { ...m.members[s], providerVersion: PROVIDER_VERSION })),
    )),
  ];

  /** One to three random changes to the declared resources. */
  const mutate = (from: Model): { next: Model; what: string[]; changes: Change[] } => {
    const next: Model = JSON.parse(JSON.stringify(from));
    const what: string[] = [];
    const changes: Change[] = [];
    // Names the state still holds cannot be reused in the same run (the old role is deleted last).
    const taken = new Set([...Object.values(from.roles), ...[...t.engine.state.values()].map((s) => String(s.outputs.name))]);
    for (let i = int(1, 3); i > 0; i--) {
      const roleSlot = pick(ROLE_SLOTS);
      const memberSlot = pick(MEMBER_SLOTS);
      const freeName = () => pick(ROLE_NAMES.filter((n) => !taken.has(n) && !Object.values(next.roles).includes(n)));
      switch (pick(["role", "role", "member", "member", "member"])) {
        case "role":
          if (!next.roles[roleSlot]) {
            next.roles[roleSlot] = freeName();
            what.push(`add ${roleSlot} "${next.roles[roleSlot]}"`);
            changes.push(["role", "create"]);
          } else if (chance(0.5)) {
            delete next.roles[roleSlot];
            what.push(`remove ${roleSlot}`);
            changes.push(["role", "delete"]);
          } else {
            next.roles[roleSlot] = freeName();
            what.push(`rename ${roleSlot} to "${next.roles[roleSlot]}"`);
            changes.push(["role", "create"], ["role", "delete"]);
          }
          break;
        case "member": {
          const m = next.members[memberSlot];
          if (!m) {
            next.members[memberSlot] = newMember();
            what.push(`add ${memberSlot} ${next.members[memberSlot].identifier}`);
            changes.push(["member", "create"]);
          } else if (chance(0.2)) {
            delete next.members[memberSlot];
            what.push(`remove ${memberSlot}`);
            changes.push(["member", "delete"]);
          } else if (chance(0.2)) {
            const identifier = `${PREFIX}${++memberSeq}`;
            next.members[memberSlot] = { ...m, identifier, emailAddress: `${identifier.toLowerCase()}@example.com` };
            what.push(`replace ${memberSlot} by ${identifier}`);
            changes.push(["member", "create"], ["member", "delete"]);
          } else {
            const field = pick([...Object.keys(MEMBER_FIELDS), "emailAddress"]);
            m[field] = field === "emailAddress" ? `${m.identifier.toLowerCase()}.${int(1, 9)}@example.com` : pick(MEMBER_FIELDS[field]);
            what.push(`set ${memberSlot}.${field}`);
            changes.push(["member", "update"]);
          }
          break;
        }
      }
    }
    return { next, what, changes };
  };

  /** Where this step will send requests, so that most faults hit something. */
  const targetsOf = (op: string, changes: Change[]): Target[] => {
    const kindOf = (type: string) => (type.endsWith(":SecurityRole") ? "role" : "member");
    const targets: Target[] = [{}]; // whatever request comes first
    for (const p of stack.pending) targets.push(...REQUESTS[kindOf(p.type)].delete);
    if (op === "refresh" || op === "destroy") {
      for (const s of t.engine.state.values()) targets.push(...REQUESTS[kindOf(s.type)][op === "refresh" ? "read" : "delete"]);
    }
    for (const [kind, change] of changes) targets.push(...REQUESTS[kind][change]);
    return targets;
  };

  const randomFault = (targets: Target[]): FaultSpec => {
    const target = pick(targets);
    // A slow response costs a whole client timeout, so it is drawn less often than the others.
    const kind = pick(["429", "429", "503", "503", "reset", "reset", "commitThenDrop", "commitThenDrop", "delay"]);
    const base = { companyId: t.companyId, ...target };
    switch (kind) {
      case "429":
        return { ...base, kind: "status", status: 429, retryAfterSeconds: 0.1, count: int(1, MAX_ATTEMPTS) };
      case "503":
        return { ...base, kind: "status", status: 503, count: int(1, MAX_ATTEMPTS) };
      case "reset":
        return { ...base, kind: "reset", count: int(1, MAX_ATTEMPTS) };
      case "commitThenDrop":
        return { ...base, kind: "commitThenDrop", count: 1 };
      default:
        return { ...base, kind: "delay", delayMs: TIMEOUT_MS + 150, count: 1 };
    }
  };

  await t.console.resetLog();
  for (let step = 1; step <= STEPS; step++) {
    assert.ok(Date.now() < deadline, `the run is over its time budget at step ${step}`);
    const op = pick(["apply", "apply", "apply", "apply", "apply", "same", "refresh", "refresh", "destroy"]);
    let next = model;
    let label: string;
    let changes: Change[] = [];
    if (op === "apply") {
      const m = mutate(model);
      next = m.next;
      changes = m.changes;
      label = `apply: ${m.what.join(", ")}`;
    } else {
      label = op === "same" ? "apply unchanged" : op;
    }
    stats[op as keyof typeof stats]++;
    const desired = await desiredOf(next);
    const run = () => (op === "refresh" ? stack.refresh() : op === "destroy" ? stack.destroy() : stack.up(desired));

    let fault: FaultSpec | undefined;
    if (chance(0.7)) {
      fault = randomFault(targetsOf(op, changes));
      await t.console.addFault(fault);
      stats.faults++;
    }
    const context = `step ${step} (${label}${fault ? `; fault ${JSON.stringify({ ...fault, companyId: undefined })}` : ""}), seed ${SEED}`;
    let failure: unknown;
    try {
      await run();
    } catch (e) {
      failure = e;
    }
    if (fault) {
      const [f] = await t.console.listFaults();
      if ((f?.hits ?? 0) > 0) stats.hits++;
      await t.console.clearFaults();
    }
    if (failure) {
      stats.failed++;
      assertReadableError(failure, [/ConnectWise Manage .*(GET|POST|PATCH|DELETE) \/(system|login)\//], context);
      await assertInvariants(t.console, t.companyId, [stack], { owns, context: `${context}, after the failure` });
      await run(); // the user runs it again; the fault is gone
    }
    if (op === "destroy") next = { roles: {}, members: {} };
    model = next;
    const declared = await desiredOf(model);
    await assertInvariants(t.console, t.companyId, [stack], { owns, declared: [declared], context });
    const plan = await t.engine.preview(declared);
    assert.ok(Object.values(plan).every((p) => p === "same"), `nothing left to do after ${context}: ${JSON.stringify(plan)}`);
  }
  await assertNoBlindResend(t.console, t.companyId, `seed ${SEED}`);

  await stack.destroy();
  await assertInvariants(t.console, t.companyId, [stack], { owns, declared: [[]], context: "final destroy" });
  tc.diagnostic(
    `${STEPS} steps: ${stats.apply} applies with changes, ${stats.same} unchanged, ${stats.refresh} refreshes, ${stats.destroy} destroys; ` +
      `${stats.faults} faults injected, ${stats.hits} hit; ${stats.failed} steps failed and converged when run again`,
  );
  if (STEPS >= 50) {
    assert.ok(stats.hits >= STEPS / 4, `too few faults hit (${stats.hits}): the run proves little`);
    assert.ok(stats.failed >= 1, "no step failed: the run never exercised a re-run");
  }
});
