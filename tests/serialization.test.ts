// Every provider of the package as Pulumi really ships it: a program under pulumi.runtime.setMocks
// creates each resource class from providers/manage/index.ts (so the SDK serializes each provider
// under ts-node), the harness routes every registration through the real dynamic-provider host
// against the emulator, and a whole lifecycle runs with recognisable credentials. Then no credential
// and no private key may appear in any `__provider` text, in state outside secret values, in any
// error message or in any line the host printed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ApiKey, ApiMember, PermissionMatrix, SecurityRole, SecurityRolePermissions } from "../providers/manage";
import { apiMemberProvider } from "../providers/manage/api-member";
import { CheckFailedError, DesiredResource, MockRegistration, ProgramRunResult, ResourceState, runProgramThroughEngine } from "./harness/engine";
import { HostError } from "./harness/provider-host";
import { ConsoleKey } from "./emulator/console-client";
import { PROJECT, STACK, startTenant, Tenant } from "./support/tenant";

const NAMES = ["SecurityRole", "SecurityRolePermissions", "ApiMember", "ApiKey"] as const;
const token = (name: string) => `pulumi-nodejs:dynamic/cwmanage:${name}`;

const MATRIX: PermissionMatrix = {
  Finance: { Agreements: { add: "All", edit: "All", inquire: "All" } },
  System: { "Table Setup": { inquire: "All", customize: ["Agreements / Batch"] } },
};

interface Scenario {
  /** The role's name in the program (a second role of the same name is a "not adopted" error). */
  duplicateRole?: boolean;
  /** A module name the tenant does not know. */
  typo?: boolean;
  keyEnforcement?: "strict" | "advisory";
  roleOnDelete?: "delete" | "retain";
}

/** The stack program: what stacks/index.ts does, reduced to one identity. */
function identity(s: Scenario = {}) {
  return () => {
    const cfg = new pulumi.Config();
    const role = new SecurityRole("role", { name: "Sync 365 License", onDelete: s.roleOnDelete ?? "retain" });
    if (s.duplicateRole) new SecurityRole("role-again", { name: "Sync 365 License" });
    const perms = new SecurityRolePermissions("perms", {
      roleId: role.roleId,
      roleName: role.name,
      permissions: s.typo ? { ...MATRIX, Financ: { Agreements: { inquire: "All" } } } : MATRIX,
      enforcement: "advisory",
    });
    const member = new ApiMember("member", { identifier: "S365L", name: "Sync 365 License", securityRole: role.name, onDelete: "retain" });
    const key = new ApiKey("key", {
      member: member.identifier,
      description: "Sync 365 License integration",
      publicKey: cfg.get("s365lPublicKey"),
      privateKey: cfg.getSecret("s365lPrivateKey"),
      expectedPermissions: MATRIX,
      enforcement: s.keyEnforcement ?? "advisory",
    });
    return { roleId: role.roleId, compliant: perms.compliant, memberId: member.memberId, fingerprint: key.fingerprint, privateKey: key.privateKey };
  };
}

let t: Tenant;
let key: ConsoleKey;
const runs: ProgramRunResult[] = [];
const registrations: MockRegistration[] = [];
const errors: string[] = [];
/** The engine's state after every step, failed steps included. */
const states: ResourceState[][] = [];
const snap = () => states.push(t.engine.snapshot());
let programConfig: Record<string, string>;
const secretKeys = ["cwmanage:privateKey", `${PROJECT}:s365lPrivateKey`];

async function run(s: Scenario, mode: "up" | "preview" = "up"): Promise<ProgramRunResult> {
  try {
    const r = await runProgramThroughEngine(identity(s), { project: PROJECT, stack: STACK, config: programConfig, secretKeys, engine: t.engine, mode });
    runs.push(r);
    registrations.push(...r.registrations);
    return r;
  } finally {
    snap();
  }
}

/** A step that must fail; its message is kept for the scan. */
async function fails(step: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(step, (e: unknown) => {
    assert.ok(e instanceof HostError || e instanceof CheckFailedError, `expected an engine error, got ${String(e)}`);
    errors.push(e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

/** Every string in a value, with its path. */
function strings(value: unknown, at: string, out: Array<[string, string]> = []): Array<[string, string]> {
  if (typeof value === "string") out.push([at, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) strings(v, `${at}.${k}`, out);
  return out;
}
/** A resource in state as the next run would declare it again (same inputs, same secrets). */
const stateAsDesired = (r: ResourceState): DesiredResource => ({
  type: r.type,
  name: r.name,
  inputs: r.inputs,
  dependencies: r.dependencies,
  secretInputs: r.secretInputs,
  additionalSecretOutputs: r.additionalSecretOutputs,
});
const without = (map: Record<string, unknown>, names: string[]) => Object.fromEntries(Object.entries(map).filter(([k]) => !names.includes(k)));

before(async () => {
  t = await startTenant();
  // The program sees the stack config too (as under `pulumi up`): a provider that captured it would serialize it.
  programConfig = { ...t.config };
});
after(async () => t.stop());

describe("a whole lifecycle through the real host, with recognisable credentials", () => {
  test("up without a key: each resource class registers its serialized provider under its type token", async () => {
    const r = await run({});
    const byType = new Map(r.registrations.map((x) => [x.type, x]));
    assert.deepEqual([...byType.keys()].filter((k) => k.startsWith("pulumi-nodejs:")).sort(), NAMES.map(token).sort());
    const texts = new Set<string>();
    for (const name of NAMES) {
      const reg = byType.get(token(name))!;
      assert.equal(reg.urn, t.engine.urn(token(name), reg.name));
      assert.equal(typeof reg.inputs.__provider, "string");
      assert.match(reg.inputs.__provider as string, /^exports\.handler = /);
      texts.add(reg.inputs.__provider as string);
      // The host loaded that very text: the resource is in state with it.
      assert.equal(t.engine.state.get(reg.urn)!.outputs.__provider, reg.inputs.__provider);
    }
    assert.equal(texts.size, 4, "one provider per resource type");
    assert.equal(byType.get(token("ApiKey"))!.additionalSecretOutputs.includes("privateKey"), true, "the ApiKey class asks for a secret privateKey output");
    assert.deepEqual(r.summary.created.length, 4);
    assert.equal(t.engine.get(token("ApiKey"), "key")!.id, "pending-S365L");
  });

  test("the key is handed over as a secret config value and verified", async () => {
    key = await t.console.createKey(t.companyId, "S365L", "Sync 365 License integration");
    programConfig = { ...programConfig, [`${PROJECT}:s365lPublicKey`]: key.publicKey, [`${PROJECT}:s365lPrivateKey`]: key.privateKey };
    const r = await run({});
    const st = t.engine.get(token("ApiKey"), "key")!;
    assert.equal(st.outputs.verified, true);
    assert.equal(st.outputs.privateKey, key.privateKey, "provider code sees plaintext");
    assert.deepEqual(st.secretOutputs, ["privateKey"]);
    assert.deepEqual(st.secretInputs, ["privateKey"]);
    assert.deepEqual(r.registrations.find((x) => x.type === token("ApiKey"))!.secretInputs, ["privateKey"]);
    assert.deepEqual(r.secretOutputs, ["privateKey"], "the stack output of the private key is secret");
    assert.equal(r.outputs.fingerprint, st.outputs.fingerprint);
  });

  test("failures of every provider are sentences (collected for the scan)", async () => {
    await fails(run({ duplicateRole: true }), /security role "Sync 365 License" already exists in this tenant/);
    await fails(run({ typo: true }), /permissions\.Financ: unknown module "Financ", did you mean "Finance"\?/);
    await fails(run({ keyEnforcement: "strict" }), /the API key of S365L signs in, but its effective access is not as declared/);
    const typo = `${key.privateKey}0`;
    programConfig = { ...programConfig, [`${PROJECT}:s365lPrivateKey`]: typo };
    await fails(run({}), /does not sign in \(401\)/);
    programConfig = { ...programConfig, [`${PROJECT}:s365lPrivateKey`]: key.privateKey };
    // The same host, driven directly: a reference by a misspelt name.
    const wrongRole = await t.desired("ApiMember", "member-typo", apiMemberProvider, { identifier: "S365X", name: "x", securityRole: "Sync 365 Licence" });
    await fails(t.engine.apply([...t.engine.snapshot().map(stateAsDesired), wrongRole]).finally(snap), /securityRole: no security role "Sync 365 Licence" in this tenant, did you mean "Sync 365 License"\?/);
    assert.equal(t.engine.state.size, 4, "the failed steps left the identity in state");
  });

  test("the admin completes the checklist; refresh and preview agree; a no-op up sends nothing", async () => {
    const roleId = t.engine.get(token("SecurityRole"), "role")!.outputs.roleId as number;
    await t.console.setLevels(t.companyId, roleId, [
      { module: "Finance", function: "Agreements", add: "All", edit: "All", inquire: "All" },
      { module: "System", function: "Table Setup", inquire: "All" },
    ]);
    await t.console.setCustomize(t.companyId, roleId, "System", "Table Setup", ["Agreements / Batch"]);
    await t.engine.refresh();
    snap();
    assert.equal(t.engine.get(token("SecurityRolePermissions"), "perms")!.outputs.compliant, true);
    assert.equal(t.engine.get(token("ApiKey"), "key")!.outputs.compliant, true);
    const p = await run({}, "preview");
    assert.deepEqual(Object.values(p.summary.plan), ["same", "same", "same", "same"]);
    await t.console.resetLog();
    const r = await run({ keyEnforcement: "strict" });
    assert.deepEqual(r.summary.updated, [t.engine.urn(token("ApiKey"), "key")], "strict now verifies");
    await t.console.resetLog();
    await run({ keyEnforcement: "strict" });
    assert.deepEqual((await t.console.log()).entries, []);
  });

  test("a refused refresh, a revoked key, and a destroy the tenant refuses (each printed by the host)", async () => {
    await run({ roleOnDelete: "delete" });
    await t.console.addFault({ companyId: t.companyId, method: "GET", path: "/system/mySecurity", kind: "status", status: 403 });
    const lines = t.host.output.length;
    await fails(t.engine.refresh().finally(snap), /lacks the function behind this endpoint \(Inquire\) \(403 on GET \/system\/mySecurity/);
    await t.console.clearFaults();
    assert.ok(t.host.output.length > lines, "the host printed the failed Read with its stack");

    await t.console.revokeKey(t.companyId, key.publicKey);
    const r = await t.engine.refresh();
    snap();
    assert.deepEqual(r.deleted, [t.engine.urn(token("ApiKey"), "key")]);
    await fails(run({ roleOnDelete: "delete" }), /does not sign in \(401\)/);

    // The member is retained (and keeps the role), so the tenant refuses to delete the role.
    await fails(t.engine.destroy().finally(snap), /security role "Sync 365 License" \(id \d+\) cannot be deleted: .*in use by member\(s\): S365L/);
    assert.deepEqual([...t.engine.state.values()].map((x) => x.type), [token("SecurityRole")]);
    assert.ok(t.host.output.some((l) => l.includes("cannot be deleted")), "the host printed the failed Delete");
  });
});

describe("the scan: no credential and no private key outside secret values", () => {
  const adminMarkers = (): Array<[string, string]> => {
    const admin = t.emu.admin;
    return [
      ["the provider's private key", admin.privateKey],
      ["the provider's public key", admin.publicKey],
      ["the provider's clientId", admin.clientId],
      ["the provider's Basic token", Buffer.from(`${admin.companyId}+${admin.publicKey}:${admin.privateKey}`).toString("base64")],
    ];
  };
  const markers = (): Array<[string, string]> => [
    ...adminMarkers(),
    // The mistyped private key of the 401 step starts with the real one, so this marker covers both.
    ["the S365L private key", key.privateKey],
    ["the S365L Basic token", Buffer.from(`${t.emu.admin.companyId}+${key.publicKey}:${key.privateKey}`).toString("base64")],
  ];
  const assertClean = (where: string, items: Array<[string, string]>, extra: Array<[string, string]> = [], only = markers()) => {
    assert.ok(items.length > 0, `${where}: nothing to scan`);
    for (const [path, text] of items) {
      for (const [what, marker] of [...only, ...extra]) {
        assert.ok(!text.includes(marker), `${where} ${path} contains ${what}`);
      }
    }
  };

  test("the markers are real: the lifecycle used them", () => {
    assert.equal(t.config["cwmanage:privateKey"], t.emu.admin.privateKey);
    assert.ok(registrations.some((r) => r.inputs.privateKey === key.privateKey && r.secretInputs.includes("privateKey")));
    assert.ok(runs.length >= 5);
  });

  test("no `__provider` text holds a credential", () => {
    const texts = new Set(registrations.map((r) => r.inputs.__provider).filter((x): x is string => typeof x === "string"));
    assert.equal(texts.size, 4);
    assertClean("__provider", [...texts].map((x, i) => [`#${i}`, x] as [string, string]), [["the S365L public key", key.publicKey]]);
  });

  test("state holds the private key only as a secret output (and secret input) of the ApiKey", () => {
    assert.ok(states.length >= 10);
    const items: Array<[string, string]> = [];
    let secretSeen = 0;
    for (const [n, state] of states.entries()) {
      for (const r of state) {
        const at = `state #${n} ${r.urn}`;
        items.push(...strings({ urn: r.urn, id: r.id, dependencies: r.dependencies }, at));
        items.push(...strings(without(r.inputs, r.secretInputs), `${at} inputs`));
        items.push(...strings(without(r.outputs, r.secretOutputs), `${at} outputs`));
        if (r.outputs.privateKey === key.privateKey) {
          assert.ok(r.secretOutputs.includes("privateKey") && r.secretInputs.includes("privateKey"), `${at}: the private key is stored as a secret`);
          secretSeen++;
        }
      }
    }
    assert.ok(secretSeen > 0, "the scan saw states holding the (secret) private key");
    assertClean("", items);
    // The provider's own credentials are nowhere in state, not even among the secrets.
    const everything = states.flatMap((state, n) => state.flatMap((r) => strings(r, `state #${n} ${r.urn}`)));
    assertClean("", everything, [], adminMarkers());
    assert.ok(items.some(([, s]) => s === key.publicKey), "the key's public key is a plain input, as designed");
  });

  test("registrations and stack outputs hold the private key only as a secret", () => {
    const items: Array<[string, string]> = [];
    for (const r of registrations) items.push(...strings(without(r.inputs, r.secretInputs), `registration ${r.urn}`));
    for (const [i, r] of runs.entries()) items.push(...strings(without(r.outputs, r.secretOutputs), `run ${i} stack outputs`));
    assertClean("", items);
  });

  test("every error message and every host output line is clean, the public key too", () => {
    assert.ok(errors.length >= 8);
    assert.ok(t.host.output.length > 0);
    assertClean("error", errors.map((e, i) => [`#${i}`, e] as [string, string]), [["the S365L public key", key.publicKey]]);
    assertClean("host output", t.host.output.map((l, i) => [`line ${i}`, l] as [string, string]), [["the S365L public key", key.publicKey]]);
  });
});
