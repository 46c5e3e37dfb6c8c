// check-config on the broken stack files (each kind of mistake, with the exact message it must
// print) and on the good ones (a summary, exit 0); plus the schema pieces it is built from.
import { RUNBOOK } from "../support/runbook";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkStackFile, main } from "../../stacks/check-config";
import { applyPreset, deepMerge, formatPath, loadPreset, presetNames, validateStack } from "../../stacks/schema";
import { readStackFile } from "../../stacks/stack-file";
import { KNOWN_CUSTOMIZE_ITEMS, KNOWN_FUNCTIONS } from "../../stacks/known-functions";
import { FIXTURES, ROOT } from "./helpers";

const broken = (name: string) => path.join(FIXTURES, "broken", `Pulumi.${name}.yaml`);

const EXPECTED: Record<string, string[]> = {
  "wrong-type": [
    "integrations[0].member.name: expected a string, got a number (365)",
    'integrations[0].role.adopt: expected true or false, got a string ("yes")',
    "integrations[0].key: expected a mapping (key: value), got a list",
  ],
  "unknown-key": [
    'cwmanage:timeout: unknown provider setting, did you mean "timeoutMs"?',
    'integration: unknown key, did you mean "integrations"?',
    'integrations[0].member.identifer: unknown key, did you mean "identifier"?',
    'integrations[0].role.permissions.Finance.Agreements.inquiry: unknown key, did you mean "inquire"?',
  ],
  "unknown-names": [
    'integrations[0].role.permissions.Finanse: unknown module "Finanse", did you mean "Finance"?',
    'integrations[0].role.permissions.Procurement["Product Catalogue"]: unknown function "Product Catalogue" in Procurement, did you mean "Product Catalog"?',
    'integrations[0].role.permissions.Companies["Company Maintenance"].customize: Companies › Company Maintenance has no Customize list in the UI',
    'integrations[0].role.permissions.System["Table Setup"].customize[0]: unknown Customize entry "Agreement / Batches", did you mean "Agreements / Batch"?',
  ],
  "bad-level": [
    'integrations[0].role.permissions.Finance.Agreements.add: level "Everything" is not one of All, My, None',
    'integrations[0].role.mode: must be "exact" or "atLeast", got a string ("exactly"): did you mean "exact"?',
  ],
  "too-long": [
    "integrations[0].member.identifier: at most 15 characters, got 17",
    "integrations[0].member.name: at most 30 characters, got 36",
    "integrations[0].role.name: at most 30 characters, got 33",
  ],
  "missing-setting": [
    "cwmanage:companyId: not set: run `pulumi config set cwmanage:companyId <value>`, or provide CWMANAGE_COMPANY_ID at run time and list companyId under cw-manage-provisioner:connectionFromEnv",
    "cwmanage:clientId: not set: run `pulumi config set cwmanage:clientId <value>`, or provide CWMANAGE_CLIENT_ID at run time and list clientId under cw-manage-provisioner:connectionFromEnv",
  ],
  "plain-private-key": [
    "cwmanage:privateKey: must be a secret, found plain text: run `pulumi config set --secret cwmanage:privateKey <private key>` (the file then holds secure: v1:…) and rotate the key if the plain text was ever committed",
    "apiKeys.S365L.privateKey: must be a secret, found plain text: run `pulumi config set --path --secret 'apiKeys.S365L.privateKey' <private key>` and rotate the key (it was exposed)",
  ],
  "missing-preset": ['integrations[0].preset: no preset "sync365-licence" in stacks/presets/, did you mean "sync365-license"?'],
  duplicates: [
    'integrations[1].name: duplicate integration name "S365L" (also integrations[0])',
    'integrations[1].member.identifier: duplicate member identifier "S365L" (also integrations[0]): each integration needs its own member',
    'integrations[2].existingMember: duplicate member identifier "s365l" (also integrations[0]): each integration needs its own member',
  ],
  conflicts: [
    'enforcement: must be "advisory" or "strict", got a string ("strictly"): did you mean "strict"?',
    'cwmanage:site: "http://cw.example.com" uses plain http to a non-loopback host; use https so keys are never sent unencrypted',
    "integrations[0].existingMember: give either member (a new API member) or existingMember (a key on an existing member), not both",
    "integrations[0].role.adopt: applies to a new role only: an existing role is looked up, never created or deleted",
    "integrations[1].role: required: the API member's security role: role: { name, permissions } or role: { existing: <name> }",
    "integrations[2].role.name: a new role needs a new API member to hold it; with existingMember use role: { existing: <the member's role> } or leave role out",
    "apiKeys.S365L.privateKey: required with publicKey: run `pulumi config set --path --secret 'apiKeys.S365L.privateKey' <private key>`",
    "apiKeys.NOROLE.privateKey: required with publicKey: run `pulumi config set --path --secret 'apiKeys.NOROLE.privateKey' <private key>`",
  ],
};

describe("check-config on broken stack files", () => {
  test("every broken fixture is covered", () => {
    const files = fs.readdirSync(path.join(FIXTURES, "broken")).map((f) => f.replace(/^Pulumi\.|\.yaml$/g, ""));
    assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    test(`${name}: prints each problem with its path, exactly`, () => {
      const r = checkStackFile(broken(name));
      assert.equal(r.ok, false);
      assert.deepEqual(r.problems, expected);
      assert.equal(r.output.at(-1)!.endsWith(`${expected.length} problem${expected.length === 1 ? "" : "s"}; nothing was checked against the tenant`), true);
    });
  }

  test("each printed line starts with file:line when the path is in the file", () => {
    const r = checkStackFile(broken("too-long"));
    assert.match(r.output[0], /Pulumi\.too-long\.yaml:10: integrations\[0\]\.member\.identifier: at most 15 characters, got 17$/);
    assert.match(r.output[2], /Pulumi\.too-long\.yaml:11: integrations\[0\]\.role\.name: /);
    const missing = checkStackFile(broken("missing-setting"));
    assert.match(missing.output[0], /Pulumi\.missing-setting\.yaml: cwmanage:companyId: not set/, "an absent key has no line");
  });

  test("YAML syntax errors and a file without config: are reported as such", () => {
    const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "check-config-"));
    try {
      fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  a: [1, 2\n");
      fs.writeFileSync(path.join(dir, "Pulumi.empty.yaml"), "encryptionsalt: x\n");
      assert.equal(checkStackFile(path.join(dir, "Pulumi.bad.yaml")).ok, false);
      assert.deepEqual(checkStackFile(path.join(dir, "Pulumi.empty.yaml")).problems, ["no config: mapping: a stack file holds its settings under config:"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("check-config on good stack files", () => {
  test("Pulumi.dev.yaml: a one-screen summary, exit 0", () => {
    const lines: string[] = [];
    assert.equal(main([path.join(ROOT, "Pulumi.dev.yaml")], (l) => lines.push(l)), 0);
    assert.match(lines[0], /Pulumi\.dev\.yaml: OK \(stack dev, 1 integration\)$/);
    assert.deepEqual(lines.slice(1), [
      "  tenant  sandbox at http://127.0.0.1:8471; from the environment at run time: publicKey, privateKey, clientId",
      "  s365l  (preset sync365-license)",
      '    role    new "Sync365 License"; exact, advisory: 7 functions in 4 modules, 1 Customize entry',
      '    member  new API member S365L "Sync 365 License" (department Admin, location Main Office)',
      "    key     \"s365l\" on S365L: awaiting hand-over (pulumi config set --stack dev --path 'apiKeys.S365L.publicKey' …), access verified against the role",
      "Nothing was checked against the tenant: pulumi up verifies names, levels and keys there.",
    ]);
    assert.ok(lines.length <= 24, "fits one screen");
  });

  test("the multi-integration tenant: every integration summarised", () => {
    const r = checkStackFile(path.join(FIXTURES, "Pulumi.acme.yaml"));
    assert.equal(r.ok, true, r.output.join("\n"));
    const text = r.output.join("\n");
    assert.match(text, /OK \(stack acme, 3 integrations\)/);
    assert.match(text, /role {4}new "Sync365 License"; exact, strict: 6 functions in 4 modules, 1 Customize entry/, "Products removed by null");
    assert.match(text, /key {5}"s365l" on S365L: handed over at apiKeys\.S365L \(private key secret\)/);
    assert.match(text, /role {4}existing "Admin" \(looked up, never changed\); permissions not verified/);
    assert.match(text, /member {2}existing JSMITH \(not managed: only its key is registered\)/);
    assert.match(text, /role {4}new "Reporting Read Only"; atLeast, advisory: 2 functions in 1 module/);
  });

  test("npm run check-config: exit codes through the real script", () => {
    const run = (...files: string[]) =>
      spawnSync(process.execPath, ["--require", "ts-node/register", "stacks/check-config.ts", ...files], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
      });
    const good = run("Pulumi.dev.yaml", "tests/fixtures/stacks/Pulumi.acme.yaml");
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /Pulumi\.dev\.yaml: OK/);
    const bad = run("tests/fixtures/stacks/broken/Pulumi.too-long.yaml");
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /integrations\[0\]\.member\.identifier: at most 15 characters, got 17/);
    assert.equal(run().status, 2);
  });
});

describe("schema pieces", () => {
  test("paths use the syntax pulumi config set --path takes", () => {
    assert.equal(formatPath(["integrations", 0, "role", "permissions", "System", "Table Setup", "customize", 1]), 'integrations[0].role.permissions.System["Table Setup"].customize[1]');
    assert.equal(formatPath(["apiKeys", "S365L", "privateKey"]), "apiKeys.S365L.privateKey");
  });

  test("deep override: mappings merge, lists and values replace, null removes", () => {
    assert.deepEqual(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 }, d: null }), { a: { b: 1, c: [3], e: 2 } });
    const preset = loadPreset("sync365-license")!;
    const withExisting = applyPreset(preset, { name: "x", preset: "sync365-license", role: { existing: "Admin" }, existingMember: "JSMITH" });
    assert.deepEqual(withExisting.role, { existing: "Admin" }, "choosing an existing role replaces the preset's role");
    assert.equal(withExisting.member, undefined, "existingMember replaces the preset's member");
    assert.deepEqual(withExisting.key, { description: "s365l" });
  });

  test("the bundled preset is the runbook, exactly", () => {
    assert.deepEqual(presetNames(), ["sync365-license"]);
    const p = loadPreset("sync365-license")!;
    assert.deepEqual(p.member, { identifier: "S365L", name: "Sync 365 License", defaultDepartment: "Admin" });
    assert.deepEqual(p.key, { description: "s365l" });
    assert.deepEqual((p.role as Record<string, unknown>).permissions, RUNBOOK);
  });

  test("the offline list holds the emulator catalog's labels", () => {
    const catalog = require("../emulator/catalog") as typeof import("../emulator/catalog");
    const known = Object.entries(KNOWN_FUNCTIONS).flatMap(([m, fns]) => fns.map((f) => `${m} › ${f.label}${f.customize ? " *" : ""}`));
    const fromCatalog = catalog.FUNCTIONS.map((f) => `${f.moduleDescription} › ${f.moduleFunctionDescription}${f.customFlag ? " *" : ""}`);
    assert.deepEqual(known.sort(), fromCatalog.sort());
    assert.deepEqual([...KNOWN_CUSTOMIZE_ITEMS].sort(), catalog.SETUP_SCREENS.map((s) => s.description).sort());
  });

  test("labels match in any letter case and come out as the UI writes them; extraKnown admits a label the list lacks", () => {
    const sf = readStackFile(path.join(FIXTURES, "Pulumi.acme.yaml"));
    const { stack } = validateStack(sf.input);
    const reports = stack!.integrations.find((i) => i.name === "reports")!;
    assert.deepEqual(reports.role?.permissions, { Finance: { Agreements: { inquire: "All" }, Invoicing: { inquire: "All" } } });

    const values = {
      ...sf.input.values,
      "cw-manage-provisioner:integrations": [
        { name: "t", member: { identifier: "T", name: "T" }, role: { name: "T", permissions: { "Service Desk": { "Ticket Templates": { inquire: "all" } } } } },
      ],
      "cw-manage-provisioner:apiKeys": {},
    };
    const without = validateStack({ ...sf.input, values });
    assert.match(without.problems.map((p) => p.message).join("\n"), /unknown function "Ticket Templates" in Service Desk/);
    const withExtra = validateStack({ ...sf.input, values: { ...values, "cw-manage-provisioner:extraKnown": { functions: { "Service Desk": ["Ticket Templates"] } } } });
    assert.deepEqual(withExtra.problems, []);
    assert.deepEqual(withExtra.stack!.integrations[0].role?.permissions, { "Service Desk": { "Ticket Templates": { inquire: "All" } } });
  });

  test("program mode: env overrides satisfy a missing setting; the apiKeys key must be secret as a whole", () => {
    const base = {
      project: "cw-manage-provisioner",
      stack: "t",
      source: "program" as const,
      values: {
        "cwmanage:site": "api-na.myconnectwise.net",
        "cwmanage:companyId": "acme",
        "cw-manage-provisioner:integrations": [{ name: "s365l", preset: "sync365-license" }],
        "cw-manage-provisioner:apiKeys": { S365L: { publicKey: "p", privateKey: "q" } },
      },
      secretKeys: [],
    };
    const noEnv = validateStack({ ...base, env: {} });
    assert.deepEqual(
      noEnv.problems.map((p) => `${p.key}: ${p.message.split(":")[0]}`),
      ["cwmanage:publicKey: not set", "cwmanage:privateKey: not set", "cwmanage:clientId: not set", "cw-manage-provisioner:apiKeys: must be a secret, found plain text"],
    );
    const ok = validateStack({
      ...base,
      secretKeys: ["cw-manage-provisioner:apiKeys"],
      env: { CWMANAGE_PUBLIC_KEY: "a", CWMANAGE_PRIVATE_KEY: "b", CWMANAGE_CLIENT_ID: "c" },
    });
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.stack!.integrations[0].key.privateKey, "q");
  });
});
