import { test } from "node:test";
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorConsole } from "./console-client";
import { call } from "./test-helpers";

const ROOT = path.resolve(__dirname, "..", "..");
interface Started { child: ChildProcess; line: Record<string, string> }

function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ["--require", "ts-node/register", "tests/emulator/main.ts", ...args], {
    cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" }, stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (d) => { err += d; });
    child.stdout!.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({ child, line: JSON.parse(out.slice(0, nl)) });
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`emulator did not start: ${err}`)), 20_000).unref();
  });
}

const stop = (child: ChildProcess, signal: NodeJS.Signals = "SIGTERM") =>
  new Promise<number | null>((resolve) => { child.once("exit", (code) => resolve(code)); child.kill(signal); });

test("CLI prints the admin line first, serves, persists --state across restarts and exits 0 on SIGTERM/SIGINT", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-emu-"));
  const state = path.join(dir, "state.json");
  try {
    const first = await startCli(["--port", "0", "--state", state, "--company", "acme"]);
    const line = first.line;
    assert.deepEqual(Object.keys(line).sort(), ["clientId", "companyId", "consoleToken", "memberIdentifier", "privateKey", "publicKey", "url"]);
    assert.match(line.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(line.companyId, "acme");
    const creds = { companyId: line.companyId, publicKey: line.publicKey, privateKey: line.privateKey, clientId: line.clientId, memberIdentifier: line.memberIdentifier };
    assert.equal((await fetch(`${line.url}/login/companyinfo/acme`)).status, 200);
    const role = await call(line.url, creds, "POST", "/system/securityroles", { name: "Persisted Role" });
    assert.equal(role.status, 201);
    const key = await new EmulatorConsole(line.url, line.consoleToken).createKey("acme", "admin", "persisted key");
    assert.ok(JSON.parse(fs.readFileSync(state, "utf8")).companies.length === 1);
    assert.equal(await stop(first.child), 0);

    const second = await startCli(["--port", "0", "--state", state, "--company", "acme"]);
    for (const k of ["publicKey", "privateKey", "consoleToken", "clientId"]) assert.equal(second.line[k], line[k], k);
    const url2 = second.line.url;
    const again = await call(url2, creds, "GET", `/system/securityroles/${role.body.id}`);
    assert.equal(again.body.name, "Persisted Role");
    assert.equal((await call(url2, { ...creds, publicKey: key.publicKey, privateKey: key.privateKey }, "GET", "/system/info")).status, 200);
    const next = await call(url2, creds, "POST", "/system/securityroles", { name: "After Restart" });
    assert.ok(next.body.id > role.body.id);
    assert.deepEqual(fs.readdirSync(dir), ["state.json"]);
    assert.equal(await stop(second.child, "SIGINT"), 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI without --state keeps nothing and rejects bad arguments", async () => {
  const bad = spawn(process.execPath, ["--require", "ts-node/register", "tests/emulator/main.ts", "--port", "x"], {
    cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" }, stdio: "ignore",
  });
  assert.equal(await new Promise((r) => bad.once("exit", r)), 2);
  const run = await startCli(["--port", "0", "--latency-ms", "5"]);
  assert.equal(run.line.companyId, "sandbox");
  assert.equal(await stop(run.child), 0);
});
