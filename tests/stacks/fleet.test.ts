// The Automation API example's own logic (the runs themselves need the Pulumi CLI).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { discoverStacks, main, parseArgs, runLimited, secretSuffix, tenantEnv } from "../../stacks/fleet";
import { INSTALL_HELP } from "../../stacks/sandbox";
import { FIXTURES, ROOT } from "./helpers";

test("tenant stacks are the Pulumi.<tenant>.yaml files, dev (the sandbox) excluded", () => {
  assert.deepEqual(discoverStacks(ROOT), []);
  assert.deepEqual(discoverStacks(FIXTURES), ["acme"]);
});

test("per-tenant secrets: the CI workflow's names", () => {
  assert.equal(secretSuffix("acme-east.2"), "ACME_EAST_2");
  assert.deepEqual(
    tenantEnv("acme-east", {
      PULUMI_CONFIG_PASSPHRASE: "shared",
      PULUMI_CONFIG_PASSPHRASE_ACME_EAST: "own",
      CWMANAGE_PRIVATE_KEY_ACME_EAST: "k",
      CWMANAGE_PUBLIC_KEY_OTHER: "not mine",
      CWMANAGE_CLIENT_ID: "vendor-client-id",
    }),
    { PULUMI_CONFIG_PASSPHRASE: "own", CWMANAGE_PRIVATE_KEY: "k", CWMANAGE_CLIENT_ID: "vendor-client-id" },
  );
  assert.deepEqual(tenantEnv("contoso", { PULUMI_CONFIG_PASSPHRASE: "shared" }), { PULUMI_CONFIG_PASSPHRASE: "shared" });
});

test("arguments", () => {
  assert.deepEqual(parseArgs(["--", "up", "--concurrency", "2", "--only", "acme"]), { command: "up", concurrency: 2, only: ["acme"] });
  assert.deepEqual(parseArgs([]), { command: "preview", concurrency: 4, only: undefined });
});

test("a concurrency limit, and every tenant runs even when one fails", async () => {
  let inFlight = 0;
  let max = 0;
  const results = await runLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await new Promise((r) => setTimeout(r, 10 + (n % 3) * 5));
    inFlight--;
    if (n === 4) throw new Error("tenant 4 failed");
    return n * 10;
  });
  assert.equal(max, 3);
  assert.deepEqual(results.map((r) => (r.status === "fulfilled" ? r.value : "failed")), [10, 20, 30, "failed", 50, 60, 70]);
});

test("without the CLI it says how to get it", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-"));
  try {
    const lines: string[] = [];
    assert.equal(await main(["preview"], { dir: FIXTURES, env: { PATH: tmp, HOME: tmp }, log: (l) => lines.push(l) }), 1);
    assert.equal(lines.join("\n"), INSTALL_HELP);
    assert.equal(await main(["deploy"], { dir: FIXTURES, log: () => undefined }), 2);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
