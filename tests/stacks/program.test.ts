// The program under pulumi.runtime.setMocks with the config of Pulumi.dev.yaml and of a
// multi-integration tenant: the resources, their inputs, dependencies and options, the stack
// outputs, and which of them are secret. (Every provider really serializes here.)
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadPreset } from "../../stacks/schema";
import { PROVIDER_VERSION } from "../../providers/manage/version";
import { ApiKeyInputs, handOverSteps } from "../../providers/manage/api-key";
import { FIXTURES, ROOT, Registration, decrypted, indexProgram, isSecretWrapped, programConfigFromFile, runUnderMocks, unwrapSecrets } from "./helpers";

const T = (name: string) => `pulumi-nodejs:dynamic/cwmanage:${name}`;
const PRESET_MATRIX = (loadPreset("sync365-license")!.role as { permissions: unknown }).permissions;
const LEVEL_LINE = "Finance › Agreements: set Add to All (now None)";
const CUSTOMIZE_LINE = 'System › Table Setup: allow "Agreements / Batch" under Customize';

/** What the mocks answer: the provider outputs for a tenant where nothing is done yet (or all is). */
const ROLE_IDS: Record<string, number> = { "Sync365 License": 101, "Reporting Read Only": 102 };
const MEMBER_IDS: Record<string, number> = { S365L: 201, RPTS: 202 };

function mockState(compliant: boolean) {
  return (type: string, inputs: Record<string, any>): Record<string, unknown> => {
    switch (type) {
      case T("SecurityRole"):
        return { ...inputs, roleId: ROLE_IDS[inputs.name], adopted: false };
      case T("ExistingSecurityRole"):
        return { ...inputs, roleId: 1, adminFlag: true };
      case T("ApiMember"):
        return { ...inputs, memberId: MEMBER_IDS[inputs.identifier], inactive: false, adopted: false, references: {} };
      case T("SecurityRolePermissions"):
        return { ...inputs, compliant, actionsRequired: compliant ? [] : [LEVEL_LINE], customizeToVerify: [CUSTOMIZE_LINE], observed: {} };
      case T("ApiKey"): {
        const handedOver = inputs.publicKey !== undefined;
        return {
          ...inputs,
          fingerprint: handedOver ? "sha256:feedface" : "",
          verified: handedOver,
          verifiedAt: handedOver ? "2025-01-01T00:00:00Z" : "",
          memberId: handedOver ? 300 : 0,
          compliant: handedOver && compliant,
          // As the provider answers while no key is handed over (advisory): the runbook steps.
          actionsRequired: handedOver ? (compliant ? [] : [LEVEL_LINE]) : handOverSteps(inputs as ApiKeyInputs),
        };
      }
      default:
        return inputs;
    }
  };
}

function devConfig(): { config: Record<string, string>; secretKeys: string[] } {
  const { config, secretKeys } = programConfigFromFile(path.join(ROOT, "Pulumi.dev.yaml"));
  // What the sandbox hands over as CWMANAGE_* is given as config here (a secret private key).
  return {
    config: { ...config, "cwmanage:publicKey": "adminpub", "cwmanage:privateKey": "adminpriv", "cwmanage:clientId": "client" },
    secretKeys: [...secretKeys, "cwmanage:privateKey"],
  };
}

const byName = (regs: Registration[], name: string) => regs.find((r) => r.name === name)!;
const plainInputs = (r: Registration) => {
  const { __provider: provider, ...rest } = r.inputs;
  assert.equal(typeof provider === "string" || isSecretWrapped(provider), true, `${r.name}: serialized provider`);
  return rest;
};

describe("the program under mocks: Pulumi.dev.yaml", () => {
  test("four resources with the preset's inputs and the role -> member -> permissions, member -> key dependencies", async () => {
    const { config, secretKeys } = devConfig();
    const run = await runUnderMocks(indexProgram(), { stack: "dev", config, secretKeys, state: mockState(false) });
    const regs = run.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack");
    assert.deepEqual(
      regs.map((r) => `${r.type.split(":").pop()} ${r.name}`).sort(),
      ["ApiKey s365l-key", "ApiMember s365l-member", "SecurityRole s365l-role", "SecurityRolePermissions s365l-permissions"],
    );
    const role = byName(regs, "s365l-role");
    const member = byName(regs, "s365l-member");
    const perms = byName(regs, "s365l-permissions");
    const key = byName(regs, "s365l-key");

    assert.deepEqual(plainInputs(role), { name: "Sync365 License", providerVersion: "0.1.0" });
    assert.deepEqual(plainInputs(member), {
      identifier: "S365L",
      name: "Sync 365 License",
      securityRole: "Sync365 License",
      defaultDepartment: "Admin",
      defaultLocation: "Main Office",
      providerVersion: "0.1.0",
    });
    assert.deepEqual(plainInputs(perms), {
      roleId: 101,
      roleName: "Sync365 License",
      permissions: PRESET_MATRIX,
      mode: "exact",
      enforcement: "advisory",
      providerVersion: "0.1.0",
    });
    assert.deepEqual(plainInputs(key), {
      member: "S365L",
      memberKind: "api",
      description: "s365l",
      configPath: "apiKeys.S365L",
      stack: "dev",
      expectedPermissions: PRESET_MATRIX,
      mode: "exact",
      enforcement: "advisory",
      providerVersion: "0.1.0",
    });
    assert.equal("privateKey" in key.inputs, false, "no key handed over yet");

    assert.deepEqual(role.dependsOn, []);
    assert.deepEqual(member.dependsOn, ["s365l-role"], "securityRole = role.name");
    assert.deepEqual(perms.dependsOn, ["s365l-member", "s365l-role"], "roleId, and after the member");
    assert.deepEqual(key.dependsOn, ["s365l-member"], "member = member.identifier");
    assert.deepEqual(key.additionalSecretOutputs, ["privateKey"]);

    const { value, secretPaths } = unwrapSecrets(run.outputs);
    assert.deepEqual(secretPaths, ["s365l.privateKey"], "only the private key is secret; the checklist stays readable");
    const out = (value as Record<string, any>).s365l;
    assert.deepEqual(
      { ...out, actionsRequired: undefined },
      {
        roleId: 101,
        roleName: "Sync365 License",
        memberId: 201,
        memberIdentifier: "S365L",
        compliant: false,
        actionsRequired: undefined,
        publicKey: "",
        privateKey: "",
        fingerprint: "",
      },
    );
    assert.deepEqual(out.actionsRequired.slice(0, 3), [
      LEVEL_LINE,
      CUSTOMIZE_LINE,
      "S365L: create an API key in the UI and hand it over (the API cannot create keys)",
    ]);
    assert.ok(out.actionsRequired.includes("       pulumi config set --stack dev --path --secret 'apiKeys.S365L.privateKey' <private key>"), "the full hand-over steps");
  });

  test("after the hand-over: the key pair goes in, the private key only as a secret; compliant when all is", async () => {
    const { config, secretKeys } = devConfig();
    config["cw-manage-provisioner:apiKeys"] = JSON.stringify({ S365L: { publicKey: "pub1", privateKey: "priv1" } });
    secretKeys.push("cw-manage-provisioner:apiKeys");
    const run = await runUnderMocks(indexProgram(), { stack: "dev", config, secretKeys, state: mockState(true) });
    const key = byName(run.registrations, "s365l-key");
    assert.equal(key.inputs.publicKey, "pub1");
    assert.ok(isSecretWrapped(key.inputs.privateKey), "privateKey input is secret");
    assert.equal((key.inputs.privateKey as { value: unknown }).value, "priv1");
    const { value, secretPaths } = unwrapSecrets(run.outputs);
    assert.deepEqual(secretPaths, ["s365l.privateKey"]);
    const out = (value as Record<string, any>).s365l;
    assert.equal(out.compliant, true);
    assert.deepEqual(out.actionsRequired, [], "customize lines drop once the key has verified them");
    assert.deepEqual([out.publicKey, out.privateKey, out.fingerprint], ["pub1", "priv1", "sha256:feedface"]);
  });

  test("a broken config fails before any resource is registered, listing every problem", async () => {
    const { config } = devConfig();
    config["cw-manage-provisioner:integrations"] = JSON.stringify([
      { name: "s365l", preset: "sync365-license", member: { identifier: "S365LTOOLONGIDENT" }, role: { permissions: { Finanse: {} } } },
    ]);
    config["cwmanage:privateKey"] = "plain";
    const registered: string[] = [];
    await assert.rejects(
      runUnderMocks(indexProgram(), { stack: "dev", config, secretKeys: [], state: (t, i) => (registered.push(t), i) }),
      (e: Error) => {
        assert.equal(e.constructor.name, "RunError");
        assert.match(e.message, /^Pulumi\.dev\.yaml has 3 problems; nothing was changed:/);
        assert.match(e.message, /- cwmanage:privateKey: must be a secret, found plain text/);
        assert.match(e.message, /- integrations\[0\]\.member\.identifier: at most 15 characters, got 17/);
        assert.match(e.message, /- integrations\[0\]\.role\.permissions\.Finanse: unknown module "Finanse", did you mean "Finance"\?/);
        assert.match(e.message, /npm run check-config -- Pulumi\.dev\.yaml/);
        return true;
      },
    );
    assert.deepEqual(registered.filter((t) => t !== "pulumi:pulumi:Stack"), []);
  });
});

describe("the program under mocks: a multi-integration tenant (tests/fixtures/stacks/Pulumi.acme.yaml)", () => {
  test("preset with overrides, an existing role and member, a custom role", async () => {
    const { config, secretKeys } = programConfigFromFile(path.join(FIXTURES, "Pulumi.acme.yaml"));
    assert.deepEqual(secretKeys.sort(), ["cw-manage-provisioner:apiKeys", "cwmanage:privateKey"]);
    const run = await runUnderMocks(indexProgram(), { stack: "acme", config, secretKeys, state: mockState(true) });
    const regs = run.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack");
    assert.deepEqual(
      regs.map((r) => `${r.type.split(":").pop()} ${r.name}`).sort(),
      [
        "ApiKey other-key",
        "ApiKey reports-key",
        "ApiKey s365l-key",
        "ApiMember reports-member",
        "ApiMember s365l-member",
        "ExistingSecurityRole other-role",
        "SecurityRole reports-role",
        "SecurityRole s365l-role",
        "SecurityRolePermissions reports-permissions",
        "SecurityRolePermissions s365l-permissions",
      ],
      "no member and no permissions for the existing user with the Admin role",
    );

    // s365l: the preset, with this tenant's location and time zone, Products dropped, strict.
    const s365lPerms = plainInputs(byName(regs, "s365l-permissions"));
    assert.equal(s365lPerms.enforcement, "strict");
    assert.deepEqual(Object.keys((s365lPerms.permissions as Record<string, object>).Procurement), ["Product Catalog"]);
    assert.equal(plainInputs(byName(regs, "s365l-member")).timeZone, "Eastern");
    const s365lKey = byName(regs, "s365l-key");
    assert.equal(s365lKey.inputs.publicKey, "s365lpublic");
    assert.deepEqual(s365lKey.inputs.privateKey, { ...(s365lKey.inputs.privateKey as object), value: decrypted("v1:czM2NWwtcHJpdmF0ZQ==") });
    assert.ok(isSecretWrapped(s365lKey.inputs.privateKey));
    assert.equal(plainInputs(s365lKey).enforcement, "advisory", "the key follows the stack's enforcement");

    // other: the runbook's second path. The role is only looked up; the key is on the user.
    assert.deepEqual(plainInputs(byName(regs, "other-role")), { name: "Admin", providerVersion: PROVIDER_VERSION });
    const otherKey = byName(regs, "other-key");
    assert.deepEqual(plainInputs(otherKey), {
      member: "JSMITH",
      memberKind: "user",
      description: "other",
      configPath: "apiKeys.JSMITH",
      stack: "acme",
      enforcement: "advisory",
      providerVersion: "0.1.0",
    });
    assert.deepEqual(otherKey.dependsOn, []);

    // reports: labels canonicalised, atLeast, and a key that is not checked against the role.
    assert.deepEqual(plainInputs(byName(regs, "reports-permissions")).permissions, { Finance: { Agreements: { inquire: "All" }, Invoicing: { inquire: "All" } } });
    assert.equal(plainInputs(byName(regs, "reports-permissions")).mode, "atLeast");
    assert.equal("expectedPermissions" in byName(regs, "reports-key").inputs, false);

    const { value, secretPaths } = unwrapSecrets(run.outputs);
    assert.deepEqual(secretPaths.sort(), ["other.privateKey", "reports.privateKey", "s365l.privateKey"]);
    const out = value as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(out).sort(), ["other", "reports", "s365l"]);
    assert.deepEqual(
      { ...out.s365l },
      {
        roleId: 101,
        roleName: "Sync365 License",
        memberId: 201,
        memberIdentifier: "S365L",
        compliant: true,
        actionsRequired: [],
        publicKey: "s365lpublic",
        privateKey: decrypted("v1:czM2NWwtcHJpdmF0ZQ=="),
        fingerprint: "sha256:feedface",
      },
    );
    assert.equal(out.other.roleId, 1);
    assert.equal(out.other.memberIdentifier, "JSMITH");
    assert.equal(out.other.memberId, 0, "an existing member's id comes from its verified key");
    assert.equal(out.other.compliant, false);
    assert.match((out.other.actionsRequired as string[])[1], /System › Members › JSMITH › API Keys tab/);
  });
});
