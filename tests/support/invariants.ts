// What must hold after every step of the fault, randomized and concurrency suites, checked once here:
// the engine's state against the tenant as its administrator sees it (the emulator console's dump),
// plus a stack runner that keeps a replaced object whose delete failed as a pending delete and
// deletes it first on the next run, as the real engine does (the harness engine forgets it).
import assert from "node:assert/strict";
import type { EmulatorConsole } from "../emulator/console-client";
import type { DesiredResource, Engine, ResourceState, StepSummary } from "../harness/engine";
import { HostError } from "../harness/provider-host";

export const ROLE_TYPE = "pulumi-nodejs:dynamic/cwmanage:SecurityRole";
export const MEMBER_TYPE = "pulumi-nodejs:dynamic/cwmanage:ApiMember";
export const PERMS_TYPE = "pulumi-nodejs:dynamic/cwmanage:SecurityRolePermissions";

interface Ref {
  id: number;
  name?: string;
  identifier?: string;
}
export interface TenantRole {
  id: number;
  name: string;
}
export interface TenantMember {
  id: number;
  identifier: string;
  name: string;
  licenseClass: string;
  inactiveFlag: boolean;
  emailAddress?: string;
  notes?: string;
  [ref: string]: unknown;
}
export interface TenantView {
  roles: TenantRole[];
  members: TenantMember[];
}

/** The tenant's roles and members as the admin console dumps them (not through the API under test). */
export async function tenantView(con: EmulatorConsole, companyId: string): Promise<TenantView> {
  const dump = (await con.dump(companyId)) as { roles: TenantRole[]; members: TenantMember[] };
  return { roles: dump.roles.map((r) => ({ id: r.id, name: r.name })), members: dump.members };
}

/** A stack: an engine's state plus the replaced objects whose delete failed (the engine's pending deletes). */
export class Stack {
  readonly pending: ResourceState[] = [];
  constructor(readonly engine: Engine) {}

  /** Every object the state names: live resources and pending deletes. */
  entries(): ResourceState[] {
    return [...this.engine.state.values(), ...this.pending];
  }

  /** `pulumi up`: pending deletes first, then the resources in the order given (dependencies first), then deletes. */
  async up(desired: DesiredResource[]): Promise<StepSummary> {
    await this.deletePending();
    const d = this.engine.beginDeployment(false);
    try {
      for (const r of desired) await d.register(r);
      return await d.finish();
    } finally {
      // A replaced object stays in state as a pending delete until its delete succeeds; if the
      // replacement was never created, the old object is simply still the resource.
      const condemned = (d as unknown as { condemned: ResourceState[] }).condemned;
      const deleted = d.summary.steps.filter((s) => s.op === "delete" && s.detail === "replaced").map((s) => `${s.urn}#${s.id}`);
      for (const old of condemned) {
        if (deleted.includes(`${old.urn}#${old.id}`)) continue;
        if (this.engine.state.get(old.urn)?.id === old.id) continue;
        if (!this.pending.some((p) => p.urn === old.urn && p.id === old.id)) this.pending.push(old);
      }
    }
  }

  async destroy(): Promise<StepSummary> {
    await this.deletePending();
    return this.engine.destroy();
  }

  refresh(): Promise<StepSummary> {
    return this.engine.refresh();
  }

  private async deletePending(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.engine.ensureConfigured();
    for (const p of [...this.pending].reverse()) {
      await this.engine.host.delete(p.id, p.urn, p.outputs, p.inputs);
      this.pending.splice(this.pending.indexOf(p), 1);
    }
  }
}

/** Which roles and members of the tenant a test manages (everything else is the tenant's own). */
export interface Ownership {
  role(name: string): boolean;
  member(identifier: string): boolean;
}

export const ownedByPrefix = (rolePrefix: string, memberPrefix: string): Ownership => ({
  role: (name) => name.toLowerCase().startsWith(rolePrefix.toLowerCase()),
  member: (identifier) => identifier.toLowerCase().startsWith(memberPrefix.toLowerCase()),
});

export interface InvariantOptions {
  owns: Ownership;
  /**
   * After a step that succeeded, one list per stack: each stack's state holds exactly these resources
   * (no pending delete), and the tenant holds what they declare. Omit after a failed step.
   */
  declared?: DesiredResource[][];
  /** Describes the step in assertion messages. */
  context?: string;
}

const lower = (s: string) => s.toLowerCase();

/**
 * The invariants of the issue, on one tenant and the stacks that manage it:
 *  - no duplicate role (by name) or member (by identifier) exists in the tenant;
 *  - every state entry (live or pending delete) names an object that exists, with the recorded name or identifier;
 *  - every managed role, and every managed active member, is named by exactly one state entry;
 *  - after a successful step, state equals the declared resources and the tenant holds what they declare.
 */
export async function assertInvariants(con: EmulatorConsole, companyId: string, stacks: Stack[], opts: InvariantOptions): Promise<TenantView> {
  const view = await tenantView(con, companyId);
  const where = opts.context ? ` (${opts.context})` : "";

  const dupes = (keys: string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);
  assert.deepEqual(dupes(view.roles.map((r) => lower(r.name))), [], `duplicate security roles in the tenant${where}`);
  assert.deepEqual(dupes(view.members.map((m) => lower(m.identifier))), [], `duplicate members in the tenant${where}`);

  const entries = stacks.flatMap((s) => s.entries());
  const named = new Map<string, string>();
  for (const e of entries) {
    const label = `${e.urn} (id ${e.id})`;
    let key: string;
    if (e.type === ROLE_TYPE) {
      const role = view.roles.find((r) => String(r.id) === e.id);
      assert.ok(role, `state names security role ${label}, which does not exist${where}`);
      assert.equal(role.name, e.outputs.name, `state records another name for role ${label}${where}`);
      assert.equal(e.outputs.roleId, role.id, `state records another roleId for ${label}${where}`);
      key = `role#${role.id}`;
    } else if (e.type === MEMBER_TYPE) {
      const member = view.members.find((m) => String(m.id) === e.id);
      assert.ok(member, `state names API member ${label}, which does not exist${where}`);
      assert.equal(member.licenseClass, "A", `state names member ${label}, which is not an API member${where}`);
      assert.equal(lower(member.identifier), lower(String(e.outputs.identifier)), `state records another identifier for ${label}${where}`);
      key = `member#${member.id}`;
    } else if (e.type === PERMS_TYPE) {
      assert.ok(view.roles.some((r) => r.id === e.outputs.roleId), `state checks permissions of role ${String(e.outputs.roleId)}, which does not exist (${label})${where}`);
      key = `perms#${e.urn}`;
    } else {
      continue;
    }
    assert.ok(!named.has(key), `${named.get(key)} and ${label} name the same object${where}`);
    named.set(key, label);
  }

  for (const role of view.roles.filter((r) => opts.owns.role(r.name))) {
    assert.ok(named.has(`role#${role.id}`), `security role "${role.name}" (id ${role.id}) exists but no state entry names it (orphan)${where}`);
  }
  for (const m of view.members.filter((x) => opts.owns.member(x.identifier) && !x.inactiveFlag)) {
    assert.ok(named.has(`member#${m.id}`), `active API member ${m.identifier} (id ${m.id}) exists but no state entry names it (orphan)${where}`);
  }

  if (opts.declared) assertSettled(view, stacks, opts.declared, where);
  return view;
}

function assertSettled(view: TenantView, stacks: Stack[], declared: DesiredResource[][], where: string): void {
  assert.equal(declared.length, stacks.length, "one declared list per stack");
  stacks.forEach((stack, i) => {
    assert.deepEqual(stack.pending.map((p) => p.urn), [], `a successful step leaves no pending delete${where}`);
    const urnOf = (d: DesiredResource) => d.urn ?? stack.engine.urn(d.type, d.name);
    assert.deepEqual([...stack.engine.state.keys()].sort(), declared[i].map(urnOf).sort(), `state holds exactly the declared resources${where}`);
    for (const d of declared[i]) {
      const st = stack.engine.state.get(urnOf(d))!;
      const want = d.inputs as Record<string, unknown>;
      if (d.type === ROLE_TYPE) {
        const role = view.roles.find((r) => String(r.id) === st.id)!;
        assert.equal(role.name, want.name, `role ${d.name} has the declared name${where}`);
      } else if (d.type === MEMBER_TYPE) {
        const m = view.members.find((x) => String(x.id) === st.id)!;
        assert.equal(m.inactiveFlag, false, `member ${d.name} is active${where}`);
        assert.equal(lower(m.identifier), lower(String(want.identifier)), `member ${d.name} has the declared identifier${where}`);
        for (const f of ["name", "emailAddress", "notes"]) {
          if (want[f] !== undefined) assert.equal(m[f], want[f], `member ${d.name}: ${f} as declared${where}`);
        }
        for (const f of ["securityRole", "defaultDepartment", "defaultLocation", "securityLocation", "salesDefaultLocation", "structureLevel", "timeZone"]) {
          if (want[f] === undefined) continue;
          const ref = m[f] as Ref | undefined;
          const names = [ref?.name, ref?.identifier].filter((x): x is string => typeof x === "string").map(lower);
          assert.ok(names.includes(lower(String(want[f]))), `member ${d.name}: ${f} is ${JSON.stringify(ref)}, declared ${String(want[f])}${where}`);
        }
      }
    }
  });
}

/** A POST the tenant answered 400 means it was sent for an object that already existed: a blind re-send. */
export async function assertNoBlindResend(con: EmulatorConsole, companyId: string, context = ""): Promise<void> {
  const bad = (await con.log()).entries.filter(
    (e) => e.companyId.toLowerCase() === companyId.toLowerCase() && e.method === "POST" && e.status === 400 && /\/system\/(securityroles|apimembers)$/i.test(e.route),
  );
  assert.deepEqual(bad, [], `a create was re-sent for an object that already existed${context ? ` (${context})` : ""}`);
}

/**
 * What the user sees when a step fails: a HostError whose text is a sentence (the vendor's reason or
 * the network failure, naming the request), never a stack trace.
 */
export function assertReadableError(e: unknown, mustMatch: RegExp[], context = ""): string {
  const where = context ? ` (${context})` : "";
  assert.ok(e instanceof HostError, `expected the engine to report a HostError${where}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  const message = e.message;
  assert.doesNotMatch(message, /^\s{4}at /m, `the error shows a stack trace${where}: ${message}`);
  assert.doesNotMatch(message, /\.(ts|js):\d+:\d+/, `the error names source files${where}: ${message}`);
  assert.ok(message.trim().length > 20, `the error says too little${where}: ${JSON.stringify(message)}`);
  for (const re of mustMatch) assert.match(message, re, `the error${where}`);
  return message;
}
