// The sandbox script: its pure parts, what it does without the Pulumi CLI, and (with a stand-in
// `pulumi` that records its calls) the background emulator, the environment pulumi gets, the
// admin's part through the console with the exact hand-over commands, stop and reset.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseAction, planAdminPlay, handOverCommands, applyConfigSet, parsePath } from "../../stacks/admin-play";
import { EmulatorInfo, INSTALL_HELP, checklist, findPulumi, main, pulumiEnv, sandboxPaths, sandboxTarget, withoutSandboxAdditions } from "../../stacks/sandbox";
import { validateStack } from "../../stacks/schema";
import { readStackFile } from "../../stacks/stack-file";
import { EmulatorConsole } from "../emulator/console-client";
import { call } from "../emulator/test-helpers";
import { ROOT } from "./helpers";

const devStack = () => validateStack(readStackFile(path.join(ROOT, "Pulumi.dev.yaml")).input).stack!;

describe("admin play: planning", () => {
  test("checklist lines parse into console calls", () => {
    assert.deepEqual(parseAction("Finance › Agreements: set Add to All (now None)"), { kind: "level", module: "Finance", fn: "Agreements", field: "add", to: "All", from: "None" });
    assert.deepEqual(parseAction('System › Table Setup: allow "Agreements / Batch" under Customize'), { kind: "allow", module: "System", fn: "Table Setup", item: "Agreements / Batch" });
    assert.deepEqual(parseAction('System › Table Setup: remove "Finance / Currency" from Customize'), { kind: "remove", module: "System", fn: "Table Setup", item: "Finance / Currency" });
    assert.deepEqual(parseAction("something else"), { kind: "other", line: "something else" });
  });

  test("a plan groups levels per function, keeps the declared Customize list, and makes the key once", () => {
    const it = devStack().integrations[0];
    const plan = planAdminPlay(
      it,
      {
        roleId: 7,
        fingerprint: "",
        actionsRequired: [
          "Finance › Agreements: set Add to All (now None)",
          "Finance › Agreements: set Edit to All (now None)",
          "Time & Expense › Time Entry: set Inquire to None (now All)",
          'System › Table Setup: remove "Finance / Currency" from Customize',
          "S365L: create an API key in the UI and hand it over (the API cannot create keys)",
          "  1. In Manage open …",
          "       pulumi config set --stack dev --path 'apiKeys.S365L.publicKey' <public key>",
          "Call the vendor",
        ],
      },
      "dev",
    );
    assert.deepEqual(plan.levels, [
      { module: "Finance", function: "Agreements", add: "All", edit: "All" },
      { module: "Time & Expense", function: "Time Entry", inquire: "None" },
    ]);
    assert.deepEqual(plan.customize, [{ module: "System", function: "Table Setup", items: ["Agreements / Batch"] }]);
    assert.deepEqual(plan.key, { member: "S365L", description: "s365l", configPath: "apiKeys.S365L", stack: "dev" });
    assert.deepEqual(plan.manual, ["Call the vendor"]);
    const verified = planAdminPlay(it, { roleId: 7, fingerprint: "sha256:ab", actionsRequired: [] }, "dev");
    assert.equal(verified.key, undefined, "a verified key is not made again");
  });

  test("hand-over commands are the ones the ApiKey prints, and applying them sets secret config", () => {
    const cmds = handOverCommands({ configPath: "apiKeys.S365L", stack: "dev" }, "PUB", "PRIV");
    assert.deepEqual(cmds, [
      ["config", "set", "--stack", "dev", "--path", "apiKeys.S365L.publicKey", "PUB"],
      ["config", "set", "--stack", "dev", "--path", "--secret", "apiKeys.S365L.privateKey", "PRIV"],
    ]);
    const printed = require("../../providers/manage").handOverSteps({ member: "S365L", description: "s365l", configPath: "apiKeys.S365L", stack: "dev" }) as string[];
    for (const c of cmds) {
      const shown = `pulumi ${c.slice(0, -2).join(" ")} '${c.at(-2)}' <${c.at(-2)!.endsWith("publicKey") ? "public" : "private"} key>`;
      assert.ok(printed.some((l) => l.trim() === shown), `${shown} is what the resource prints`);
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const c of cmds) applyConfigSet(config, secretKeys, "cw-manage-provisioner", c);
    assert.deepEqual(JSON.parse(config["cw-manage-provisioner:apiKeys"]), { S365L: { publicKey: "PUB", privateKey: "PRIV" } });
    assert.deepEqual(secretKeys, ["cw-manage-provisioner:apiKeys"]);
    assert.deepEqual(parsePath('a.b[0]["Table Setup"]'), ["a", "b", 0, "Table Setup"]);
  });
});

describe("sandbox: pure parts", () => {
  test("the emulator's address comes from Pulumi.dev.yaml", () => {
    assert.deepEqual(sandboxTarget(path.join(ROOT, "Pulumi.dev.yaml")), { site: "http://127.0.0.1:8471", port: 8471, companyId: "sandbox" });
  });

  test("pulumi runs with the local backend, the sandbox passphrase and the emulator's admin keys", () => {
    const env = pulumiEnv({ PATH: "/bin", PULUMI_CONFIG_PASSPHRASE: "mine", PULUMI_CONFIG_PASSPHRASE_FILE: "/x" }, { publicKey: "p", privateKey: "q", clientId: "c" }, { backend: "/repo/.pulumi-state" });
    assert.deepEqual(env, {
      PATH: "/bin",
      PULUMI_BACKEND_URL: "file:///repo/.pulumi-state",
      PULUMI_CONFIG_PASSPHRASE: "sandbox",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      CWMANAGE_PUBLIC_KEY: "p",
      CWMANAGE_PRIVATE_KEY: "q",
      CWMANAGE_CLIENT_ID: "c",
    });
  });

  test("reset takes the sandbox's additions out of Pulumi.dev.yaml and keeps the comments", () => {
    const source = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const added = `encryptionsalt: v1:abc\n${source}  cw-manage-provisioner:apiKeys:\n    S365L:\n      publicKey: p\n      privateKey:\n        secure: v1:xyz\n`;
    const cleaned = withoutSandboxAdditions(added, "cw-manage-provisioner");
    assert.doesNotMatch(cleaned, /^encryptionsalt:/m);
    assert.ok(cleaned.includes("connectionFromEnv: [publicKey, privateKey, clientId]"), "flow style kept");
    assert.equal(cleaned.includes("cw-manage-provisioner:apiKeys"), false);
    assert.ok(cleaned.includes("# The dev stack is the local sandbox"));
    assert.ok(cleaned.includes("preset: sync365-license"));
  });

  test("the checklist printed after an up", () => {
    const stack = devStack();
    assert.deepEqual(checklist(stack, { s365l: { compliant: false, actionsRequired: ["Finance › Agreements: set Add to All (now None)", "  1. step"] } }), [
      "s365l: 2 action(s) required:",
      "  - Finance › Agreements: set Add to All (now None)",
      "    1. step",
      "Next: npm run sandbox -- admin (plays the admin in the emulator), then npm run sandbox again.",
    ]);
    assert.deepEqual(checklist(stack, { s365l: { compliant: true, fingerprint: "sha256:ab", actionsRequired: [] } }), [
      "s365l: compliant (key sha256:ab verified)",
      "All green: every integration is compliant with a verified key.",
    ]);
  });

  test("without the Pulumi CLI: how to get it, exit 1, and nothing started", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-nocli-"));
    try {
      assert.equal(findPulumi({ PATH: path.join(tmp, "bin"), HOME: tmp }), undefined);
      for (const command of ["up", "admin"]) {
        const lines: string[] = [];
        const code = await main(["--", command], { env: { PATH: path.join(tmp, "bin"), HOME: tmp }, log: (l) => lines.push(l), paths: { ...sandboxPaths(), dir: path.join(tmp, ".sandbox") } });
        assert.equal(code, 1);
        assert.equal(lines.join("\n"), INSTALL_HELP);
        assert.match(INSTALL_HELP, /curl -fsSL https:\/\/get\.pulumi\.com \| sh/);
        assert.match(INSTALL_HELP, /brew install pulumi/);
      }
      assert.equal(fs.existsSync(path.join(tmp, ".sandbox")), false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe("sandbox with a stand-in pulumi (records its calls)", () => {
  let tmp: string;
  let env: Record<string, string>;
  let paths: ReturnType<typeof sandboxPaths>;
  let port: number;
  const calls = (): Array<{ args: string[]; cwd: string; env: Record<string, string> }> =>
    fs.existsSync(env.FAKE_PULUMI_LOG) ? fs.readFileSync(env.FAKE_PULUMI_LOG, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
  const info = (): EmulatorInfo => JSON.parse(fs.readFileSync(paths.info, "utf8"));

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-"));
    port = await freePort();
    fs.writeFileSync(
      path.join(tmp, "Pulumi.dev.yaml"),
      fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").replace("http://127.0.0.1:8471", `http://127.0.0.1:${port}`),
    );
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, "pulumi"),
      `#!${process.execPath}
const fs = require("fs");
const args = process.argv.slice(2);
const pick = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "CWMANAGE_PUBLIC_KEY", "CWMANAGE_PRIVATE_KEY", "CWMANAGE_CLIENT_ID"];
fs.appendFileSync(process.env.FAKE_PULUMI_LOG, JSON.stringify({ args, cwd: process.cwd(), env: Object.fromEntries(pick.map((k) => [k, process.env[k]])) }) + "\\n");
if (args[0] === "stack" && args[1] === "output") process.stdout.write(fs.existsSync(process.env.FAKE_PULUMI_OUTPUTS) ? fs.readFileSync(process.env.FAKE_PULUMI_OUTPUTS, "utf8") : "{}");
`,
      { mode: 0o755 },
    );
    env = { PATH: bin, HOME: tmp, FAKE_PULUMI_LOG: path.join(tmp, "calls.jsonl"), FAKE_PULUMI_OUTPUTS: path.join(tmp, "outputs.json") };
    paths = sandboxPaths(tmp);
  });

  after(() => {
    try {
      process.kill(info().pid, "SIGTERM");
    } catch {
      // already stopped
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("up: starts the emulator in the background, selects or creates dev in the local backend, runs pulumi up", async () => {
    const lines: string[] = [];
    assert.equal(await main([], { env, paths, log: (l) => lines.push(l) }), 0, lines.join("\n"));
    const emu = info();
    assert.equal(emu.url, `http://127.0.0.1:${port}`);
    assert.match(lines.join("\n"), /emulator started/);
    const res = await fetch(`${emu.url}/login/companyinfo/sandbox`);
    assert.equal(res.status, 200, "the emulator keeps running after the script returns");
    const c = calls();
    assert.deepEqual(c.map((x) => x.args.join(" ")), [
      "stack select --create --secrets-provider passphrase dev",
      "up --yes --stack dev",
      "stack output --json --stack dev",
    ]);
    for (const x of c) {
      assert.equal(fs.realpathSync(x.cwd), fs.realpathSync(tmp));
      assert.equal(x.env.PULUMI_BACKEND_URL, `file://${path.join(tmp, ".pulumi-state")}`);
      assert.equal(x.env.PULUMI_CONFIG_PASSPHRASE, "sandbox");
      assert.equal(x.env.CWMANAGE_PUBLIC_KEY, emu.publicKey);
      assert.equal(x.env.CWMANAGE_PRIVATE_KEY, emu.privateKey);
      assert.equal(x.env.CWMANAGE_CLIENT_ID, emu.clientId);
    }
    // Those keys really are the emulator admin's.
    const me = await call(emu.url, emu, "GET", "/system/mySecurity?pageSize=1");
    assert.equal(me.status, 200);

    // A second run reuses the running emulator.
    assert.equal(await main(["up"], { env, paths, log: () => undefined }), 0);
    assert.equal(info().pid, emu.pid);
  });

  test("admin: carries out the checklist in the console, creates the key, hands it over with pulumi config set", async () => {
    const emu = info();
    const co = emu.companyId;
    // What the first real up leaves behind: the role and the member (created here through the API).
    const role = await call(emu.url, emu, "POST", "/system/securityroles", { name: "Sync365 License" });
    const member = await call(emu.url, emu, "POST", "/system/apiMembers", { identifier: "S365L", name: "Sync 365 License", securityRole: { id: role.body.id } });
    assert.equal(member.status, 201);
    const status = {
      s365l: {
        roleId: role.body.id,
        compliant: false,
        fingerprint: "",
        actionsRequired: [
          "Finance › Agreements: set Add to All (now None)",
          "Finance › Agreements: set Inquire to All (now None)",
          'System › Table Setup: allow "Agreements / Batch" under Customize',
          "S365L: create an API key in the UI and hand it over (the API cannot create keys)",
        ],
      },
    };
    fs.writeFileSync(env.FAKE_PULUMI_OUTPUTS, JSON.stringify(status));
    fs.writeFileSync(env.FAKE_PULUMI_LOG, "");
    const lines: string[] = [];
    assert.equal(await main(["admin"], { env, paths, log: (l) => lines.push(l) }), 0, lines.join("\n"));

    const con = new EmulatorConsole(emu.url, emu.consoleToken);
    const keys = await con.listKeys(co, "S365L");
    assert.equal(keys.length, 1);
    assert.equal(keys[0].description, "s365l");
    const sets = calls().filter((x) => x.args[0] === "config");
    assert.deepEqual(sets.map((x) => x.args.slice(0, -1)), [
      ["config", "set", "--stack", "dev", "--path", "apiKeys.S365L.publicKey"],
      ["config", "set", "--stack", "dev", "--path", "--secret", "apiKeys.S365L.privateKey"],
    ]);
    assert.equal(sets[0].args.at(-1), keys[0].publicKey);
    const handed = { companyId: co, publicKey: sets[0].args.at(-1)!, privateKey: sets[1].args.at(-1)!, clientId: emu.clientId, memberIdentifier: "S365L" };
    const asKey = await call(emu.url, handed, "GET", "/system/mySecurity");
    assert.equal(asKey.status, 200, "the handed-over pair signs in");
    const agreements = (asKey.body as Array<{ moduleDescription: string; moduleFunctionDescription: string; addLevel: string; inquireLevel: string; member?: { identifier: string } }>).find(
      (s) => s.moduleDescription === "Finance" && s.moduleFunctionDescription === "Agreements",
    )!;
    assert.deepEqual([agreements.addLevel, agreements.inquireLevel], ["All", "All"]);
    assert.ok(!lines.join("\n").includes(sets[1].args.at(-1)!), "the private key is never printed");
    assert.match(lines.join("\n"), /\$ pulumi config set --stack dev --path --secret apiKeys\.S365L\.privateKey <private key>/);
  });

  test("stop, then reset", async () => {
    const emu = info();
    const lines: string[] = [];
    assert.equal(await main(["stop"], { env, paths, log: (l) => lines.push(l) }), 0);
    assert.match(lines[0], new RegExp(`emulator stopped \\(pid ${emu.pid}\\)`));
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(fetch(`${emu.url}/login/companyinfo/sandbox`));
    fs.appendFileSync(paths.devFile, "  cw-manage-provisioner:apiKeys:\n    S365L: { publicKey: p, privateKey: { secure: v1:x } }\n");
    fs.mkdirSync(paths.backend, { recursive: true });
    assert.equal(await main(["reset"], { env, paths, log: () => undefined }), 0);
    assert.equal(fs.existsSync(paths.dir), false);
    assert.equal(fs.existsSync(paths.backend), false);
    assert.equal(fs.readFileSync(paths.devFile, "utf8").includes("cw-manage-provisioner:apiKeys"), false);
    assert.equal(readStackFile(paths.devFile).input.values["cw-manage-provisioner:integrations"] !== undefined, true);
  });
});
