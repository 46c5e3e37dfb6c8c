// ApiKey through the real dynamic-provider host and the harness engine, against the emulator: the
// runbook's key flow from "no key yet" (steps and the exact config commands) to a key an admin made
// in the console, handed over as a secret and verified (member, levels, Customize list); the wrong
// member's key, a mistyped private key, a revoked key, and the request counts of a steady state.
import { RUNBOOK, RUNBOOK_CLICKS, RUNBOOK_CUSTOMIZE_ACTION, RUNBOOK_LEVEL_ACTIONS } from "./support/runbook";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { securityRoleProvider } from "../providers/manage/security-role";
import { apiMemberProvider } from "../providers/manage/api-member";
import { apiKeyProvider, handOverSteps } from "../providers/manage/api-key";
import { PermissionMatrix } from "../providers/manage/permissions";
import { PROVIDER_VERSION } from "../providers/manage/version";
import { CheckFailedError, DesiredResource, Engine } from "./harness/engine";
import { HostError, startProviderHost } from "./harness/provider-host";
import { ConsoleKey, LevelChange } from "./emulator/console-client";
import { PROJECT, ROOT, STACK, startTenant, Tenant } from "./support/tenant";

const KEY_TYPE = "pulumi-nodejs:dynamic/cwmanage:ApiKey";
const ROLE_NAME = "Sync 365 License";
const MEMBER = "S365L";
const DESCRIPTION = "Sync 365 License integration";

const LEVEL_ACTIONS = RUNBOOK_LEVEL_ACTIONS;
const CUSTOMIZE_ACTION = RUNBOOK_CUSTOMIZE_ACTION;

let t: Tenant;
let roleId: number;
let memberId: number;
let base: DesiredResource[];

/** An ApiKey as the ApiKey class registers it: privateKey a secret input and an additional secret output. */
function apiKey(name: string, inputs: Record<string, unknown>): Promise<DesiredResource> {
  const secret = inputs.privateKey !== undefined;
  return t.desired("ApiKey", name, apiKeyProvider, { member: MEMBER, description: DESCRIPTION, providerVersion: PROVIDER_VERSION, ...inputs }, {
    secretInputs: secret ? ["privateKey"] : [],
    additionalSecretOutputs: ["privateKey"],
    dependencies: [t.engine.urn("pulumi-nodejs:dynamic/cwmanage:ApiMember", "member")],
  });
}
const keyState = (name = "key") => t.engine.get(KEY_TYPE, name);
const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex").slice(0, 32)}`;

before(async () => {
  t = await startTenant();
  const roleUrn = t.engine.urn("pulumi-nodejs:dynamic/cwmanage:SecurityRole", "role");
  base = [
    await t.desired("SecurityRole", "role", securityRoleProvider, { name: ROLE_NAME, providerVersion: PROVIDER_VERSION }),
    await t.desired("ApiMember", "member", apiMemberProvider, { identifier: MEMBER, name: "Sync 365 License", securityRole: ROLE_NAME, providerVersion: PROVIDER_VERSION }, { dependencies: [roleUrn] }),
  ];
  await t.engine.apply(base);
  roleId = t.engine.state.get(roleUrn)!.outputs.roleId as number;
  // The tenant's own record of the member, not what a provider reported.
  const members = (await t.console.dump(t.companyId)).members as Array<{ id: number; identifier: string; securityRole?: { id: number } }>;
  const s365l = members.find((m) => m.identifier === MEMBER)!;
  assert.equal(s365l.securityRole?.id, roleId);
  memberId = s365l.id;
});
after(async () => t.stop());

describe("no key yet", () => {
  test("strict: the step fails with the runbook steps and the exact hand-over commands, without a request", async () => {
    await t.console.resetLog();
    await assert.rejects(t.engine.apply([...base, await apiKey("key", {})]), (e: unknown) => {
      assert.ok(e instanceof HostError && e.rpc === "create", String(e));
      const lines = e.message.split("\n");
      assert.equal(lines[0], "S365L: create an API key in the UI and hand it over (the API cannot create keys)");
      assert.ok(lines.includes(`  1. In Manage open System › Members › API Members tab › S365L › API Keys tab, click +, enter the description "${DESCRIPTION}" and save.`));
      assert.ok(lines.includes("  2. Copy the public and the private key now: the private key is shown only once."));
      assert.ok(lines.includes("       pulumi config set --path 'apiKeys.S365L.publicKey' <public key>"));
      assert.ok(lines.includes("       pulumi config set --path --secret 'apiKeys.S365L.privateKey' <private key>"));
      assert.match(lines[lines.length - 1], /4\. Run pulumi up: the key is verified to sign in as S365L\.$/);
      return true;
    });
    assert.equal(keyState(), undefined);
    assert.deepEqual((await t.console.log()).entries, []);
  });

  test("the commands name the stack and config path when given", async () => {
    await assert.rejects(
      t.engine.apply([...base, await apiKey("key", { stack: "acme-prod", configPath: "tenants.acme.keys.S365L" })]),
      (e: unknown) => e instanceof HostError && e.message.includes("pulumi config set --stack acme-prod --path --secret 'tenants.acme.keys.S365L.privateKey' <private key>"),
    );
  });

  test("advisory: a pending resource, not verified, saying what to do", async () => {
    const s = await t.engine.apply([...base, await apiKey("key", { enforcement: "advisory" })]);
    assert.deepEqual(s.created, [keyState()!.urn]);
    const st = keyState()!;
    assert.equal(st.id, "pending-S365L");
    assert.equal(st.outputs.verified, false);
    assert.equal(st.outputs.compliant, false);
    assert.equal(st.outputs.fingerprint, "");
    const steps = st.outputs.actionsRequired as string[];
    assert.equal(steps[0], "S365L: create an API key in the UI and hand it over (the API cannot create keys)");
    assert.ok(steps.includes("       pulumi config set --path --secret 'apiKeys.S365L.privateKey' <private key>"), steps.join("\n"));
    // Pending until a key is handed over: every preview plans to verify again.
    assert.equal((await t.engine.preview([...base, await apiKey("key", { enforcement: "advisory" })]))[st.urn], "update");
  });
});

describe("a key made in the UI and handed over", () => {
  let key: ConsoleKey;
  const handed = (extra: Record<string, unknown> = {}) => apiKey("key", { publicKey: key.publicKey, privateKey: key.privateKey, ...extra });
  const expect = { expectedPermissions: RUNBOOK };

  test("verified: fingerprint, member id, and the private key kept only as a secret", async () => {
    key = await t.console.createKey(t.companyId, MEMBER, DESCRIPTION);
    const s = await t.engine.apply([...base, await handed()]);
    const st = keyState()!;
    assert.deepEqual(s.replaced, [st.urn], "the pending resource becomes the key's resource");
    assert.equal(st.id, `key-${sha(key.publicKey).slice(7, 23)}`);
    assert.equal(st.outputs.verified, true);
    assert.equal(st.outputs.fingerprint, sha(key.publicKey));
    assert.equal(st.outputs.memberId, memberId);
    assert.equal(st.outputs.compliant, true, "no expectedPermissions: nothing else to prove");
    assert.ok(!Number.isNaN(Date.parse(st.outputs.verifiedAt as string)));
    assert.equal(st.outputs.publicKey, key.publicKey);
    assert.deepEqual(st.secretOutputs, ["privateKey"]);
    assert.deepEqual(st.secretInputs, ["privateKey"]);
    // The fingerprint reveals nothing of the pair.
    assert.ok(!String(st.outputs.fingerprint).includes(key.privateKey) && !String(st.id).includes(key.publicKey));
  });

  test("a no-op apply sends no request; refresh re-verifies as the key and changes nothing", async () => {
    await t.console.resetLog();
    const s = await t.engine.apply([...base, await handed()]);
    assert.equal(s.same.length, 3);
    assert.deepEqual((await t.console.log()).entries, []);

    const before = keyState()!.outputs;
    const r = await t.engine.refresh();
    assert.ok(r.same.includes(keyState()!.urn), "verifiedAt is kept, so a refresh that finds nothing new records nothing");
    assert.deepEqual(keyState()!.outputs, before);
    const byRoute = (await t.console.log()).byRoute;
    assert.equal(byRoute["GET /system/mySecurity"], 1);
  });

  test("with expectedPermissions: the levels and the Customize line are listed until the admin sets them", async () => {
    const advisory = await t.engine.apply([...base, await handed({ ...expect, enforcement: "advisory" })]);
    assert.deepEqual(advisory.updated, [keyState()!.urn]);
    assert.equal(keyState()!.outputs.compliant, false);
    assert.deepEqual(keyState()!.outputs.actionsRequired, [...LEVEL_ACTIONS, CUSTOMIZE_ACTION]);

    const strictFails = async (lines: string[]) =>
      assert.rejects(t.engine.apply([...base, await handed(expect)]), (e: unknown) => {
        assert.ok(e instanceof HostError && e.rpc === "update", String(e));
        assert.match(e.message, /^the API key of S365L signs in, but its effective access is not as declared/);
        assert.deepEqual(e.message.split("\n").slice(1), lines.map((l) => `  - ${l}`));
        return true;
      });
    await strictFails([...LEVEL_ACTIONS, CUSTOMIZE_ACTION]);

    // The admin sets the levels: only the Customize line is left (it is read as the key itself).
    await t.console.setLevels(t.companyId, roleId, RUNBOOK_CLICKS);
    await strictFails([CUSTOMIZE_ACTION]);

    await t.console.setCustomize(t.companyId, roleId, "System", "Table Setup", ["Agreements / Batch"]);
    const ok = await t.engine.apply([...base, await handed(expect)]);
    assert.deepEqual(ok.updated, [keyState()!.urn]);
    assert.equal(keyState()!.outputs.compliant, true);
    assert.deepEqual(keyState()!.outputs.actionsRequired, []);
    assert.deepEqual(keyState()!.secretOutputs, ["privateKey"], "an update keeps the private key secret");

    await t.console.resetLog();
    await t.engine.apply([...base, await handed(expect)]);
    assert.deepEqual((await t.console.log()).entries, [], "compliant and unchanged: no request");

    // Refresh re-reads what the key can do, but labels its Customize items from what it saw before.
    await t.engine.refresh();
    const routes = (await t.console.log()).entries.map((e) => e.route);
    assert.ok(routes.includes("/system/mySecurity/customizeItems"));
    assert.ok(!routes.includes("/system/setupScreens"), routes.join(", "));
    assert.equal(keyState()!.outputs.compliant, true);
  });

  test("refresh finds an extra Customize entry (mode exact) and a lowered level", async () => {
    await t.console.setCustomize(t.companyId, roleId, "System", "Table Setup", ["Agreements / Batch", "Agreements / Type"]);
    await t.console.setLevels(t.companyId, roleId, [{ module: "Finance", function: "Invoicing", inquire: "My" }]);
    await t.engine.refresh();
    assert.equal(keyState()!.outputs.compliant, false);
    assert.deepEqual(keyState()!.outputs.actionsRequired, [
      "Finance › Invoicing: set Inquire to All (now My)",
      'System › Table Setup: remove "Agreements / Type" from Customize',
    ]);
    assert.equal((await t.engine.preview([...base, await handed(expect)]))[keyState()!.urn], "update");

    await t.console.setCustomize(t.companyId, roleId, "System", "Table Setup", ["Agreements / Batch"]);
    await t.console.setLevels(t.companyId, roleId, [{ module: "Finance", function: "Invoicing", inquire: "All" }]);
    await t.engine.refresh();
    assert.equal(keyState()!.outputs.compliant, true);
    assert.equal((await t.engine.preview([...base, await handed(expect)]))[keyState()!.urn], "same");
  });

  test("a key of another member fails, naming both members, and is not recorded", async () => {
    const other = await t.console.createKey(t.companyId, "jtech", "not for S365L");
    await assert.rejects(t.engine.apply([...base, await handed(expect), await apiKey("other", { publicKey: other.publicKey, privateKey: other.privateKey })]), (e: unknown) => {
      assert.ok(e instanceof HostError && e.rpc === "create", String(e));
      assert.equal(e.message, `the API key ${sha(other.publicKey)} belongs to member jtech, not S365L: hand over a key created on S365L`);
      return true;
    });
    assert.equal(keyState("other"), undefined);
    await t.console.revokeKey(t.companyId, other.publicKey);
  });

  test("a mistyped private key: a clear 401 sentence that shows neither key", async () => {
    const typo = `${key.privateKey.slice(0, -1)}${key.privateKey.endsWith("x") ? "y" : "x"}`;
    await assert.rejects(t.engine.apply([...base, await handed(expect), await apiKey("typo", { publicKey: key.publicKey, privateKey: typo })]), (e: unknown) => {
      assert.ok(e instanceof HostError && e.rpc === "create", String(e));
      assert.match(e.message, new RegExp(`^the API key ${sha(key.publicKey)} for S365L does not sign in \\(401\\): it was revoked, mistyped, or the member is inactive\\.`));
      assert.ok(e.message.includes("pulumi config set --path --secret 'apiKeys.S365L.privateKey' <private key>"));
      for (const s of [typo, key.privateKey, key.publicKey, t.config["cwmanage:privateKey"]]) assert.ok(!e.message.includes(s), "no key material in the message");
      return true;
    });
    assert.equal(keyState("typo"), undefined);
    assert.ok(!t.host.output.some((l) => l.includes(typo) || l.includes(key.privateKey)));
  });

  test("provider credentials the tenant rejects are not mistaken for a revoked key", async () => {
    // A fresh provider process (as every `pulumi refresh` is) whose own admin key is wrong.
    const host = await startProviderHost({ cwd: ROOT, project: PROJECT, env: { CWMANAGE_QUIET: "1" } });
    try {
      const engine = new Engine({ host, project: PROJECT, stack: STACK, config: { ...t.config, "cwmanage:privateKey": "WRONG-admin-private-key" }, secretConfigKeys: ["cwmanage:privateKey"] });
      assert.deepEqual(keyState()!.inputs.expectedPermissions, RUNBOOK, "verifying the Customize list needs the provider's own keys");
      // A state without remembered item labels (written before the key had seen them) makes the
      // refresh read the setup screens, which only the provider's own keys can.
      const withoutLabels = structuredClone(keyState()!);
      delete withoutLabels.outputs.customizeLabels;
      engine.state.set(withoutLabels.urn, withoutLabels);
      await assert.rejects(engine.refresh(), (e: unknown) => {
        assert.ok(e instanceof HostError && e.rpc === "read", String(e));
        assert.match(e.message, /^ConnectWise Manage rejected the provider's own credentials for GET \/system\/setupScreens \(401\), not the API key being verified/);
        assert.doesNotMatch(e.message, /WRONG-admin-private-key/);
        return true;
      });
      assert.ok(engine.state.has(keyState()!.urn), "the verified key stays in state");
    } finally {
      await host.stop();
    }
  });

  test("revoked in the UI: refresh drops it from state, and the next up asks for a new key", async () => {
    await t.console.revokeKey(t.companyId, key.publicKey);
    const r = await t.engine.refresh();
    assert.ok(r.deleted.includes(t.engine.urn(KEY_TYPE, "key")));
    assert.equal(keyState(), undefined);
    assert.ok(t.engine.get("pulumi-nodejs:dynamic/cwmanage:ApiMember", "member"), "the member stays");

    assert.equal((await t.engine.preview([...base, await handed(expect)]))[t.engine.urn(KEY_TYPE, "key")], "create");
    await assert.rejects(t.engine.apply([...base, await handed(expect)]), (e: unknown) => {
      assert.ok(e instanceof HostError, String(e));
      assert.match(e.message, /does not sign in \(401\)/);
      assert.match(e.message, /1\. In Manage open System › Members › API Members tab › S365L › API Keys tab/);
      assert.ok(!e.message.includes(key.privateKey));
      return true;
    });
  });
});

describe("inputs", () => {
  test("a public key without its private key fails check, naming privateKey, before any request", async () => {
    await t.console.resetLog();
    await assert.rejects(t.engine.apply([...base, await apiKey("half", { publicKey: "ABCDEF" })]), (e: unknown) => {
      assert.ok(e instanceof CheckFailedError, String(e));
      assert.deepEqual(e.failures, [{ property: "privateKey", reason: "publicKey and privateKey go together: set both (the private key as a secret) or neither" }]);
      return true;
    });
    assert.deepEqual((await t.console.log()).entries, []);
  });
});

describe("handOverSteps (pure)", () => {
  test("a key on an existing user is made on the user's own screen", () => {
    const steps = handOverSteps({ member: "jdoe", memberKind: "user", description: "Sync" });
    assert.match(steps[1], /In Manage open System › Members › jdoe › API Keys tab/);
    assert.equal(steps[5], "       pulumi config set --path --secret 'apiKeys.jdoe.privateKey' <private key>");
  });
});
