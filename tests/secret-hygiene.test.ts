// Secret hygiene over the whole sandbox lifecycle: the provider's own private key and the API
// key's private key (and the Basic tokens made from them) may appear only inside values marked
// secret. Everything else is scanned: what the provider host, the harness and the program print,
// every error, every __provider text, every registration, every state object and stack output.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ManageClient } from "../providers/manage/client";
import { ProgramRunResult } from "./harness/engine";
import { World, playAdmin, world } from "./support/stack-world";

let w: World;
const printed: string[] = [];
const errors: string[] = [];
const snapshots: unknown[] = [];
const runs: ProgramRunResult[] = [];
const restore: Array<() => void> = [];

/** Everything this process prints while the lifecycle runs is kept for the scan. */
function capturePrinting(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = write));
  }
}

async function step<T>(what: () => Promise<T>): Promise<T | undefined> {
  try {
    const result = await what();
    if (result && typeof result === "object" && "registrations" in result) runs.push(result as unknown as ProgramRunResult);
    return result;
  } catch (e) {
    errors.push(e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e));
    return undefined;
  } finally {
    snapshots.push(JSON.parse(JSON.stringify([...w.engine.state.values()])));
  }
}

/** Strings under `value` that contain a marker, skipping the paths `isSecret` names. */
function leaks(value: unknown, markers: string[], isSecret: (path: string[]) => boolean, path: string[] = []): string[] {
  if (isSecret(path)) return [];
  if (typeof value === "string") return markers.filter((m) => value.includes(m)).map((m) => `${path.join(".") || "(text)"} contains ${m.slice(0, 6)}…`);
  if (value && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
      ...markers.filter((m) => k.includes(m)).map(() => `${[...path, k].join(".")} (a key)`),
      ...leaks(v, markers, isSecret, [...path, k]),
    ]);
  }
  return [];
}

const basic = (company: string, pub: string, priv: string) => Buffer.from(`${company}+${pub}:${priv}`).toString("base64");

before(async () => {
  w = await world();
  capturePrinting();
});
after(async () => {
  restore.forEach((r) => r());
  await w.stop();
});

test("no private key or Basic token appears outside secret values over the whole lifecycle", async () => {
  const company = String(w.config["cwmanage:companyId"]);
  const providerPublic = String(w.config["cwmanage:publicKey"]);
  const providerPrivate = String(w.config["cwmanage:privateKey"]);

  const first = await step(() => w.up());
  assert.ok(first, errors.join("\n"));
  await playAdmin(w, first.outputs);
  const handedOver = JSON.parse(w.config["cw-manage-provisioner:apiKeys"]) as Record<string, { publicKey: string; privateKey: string }>;
  const key = handedOver.S365L;
  assert.ok(key?.privateKey, "the admin play handed a key over");

  // A mistyped private key first: the error must not carry it.
  const typo = `${key.privateKey.slice(0, -1)}${key.privateKey.endsWith("x") ? "y" : "x"}`;
  w.config["cw-manage-provisioner:apiKeys"] = JSON.stringify({ S365L: { ...key, privateKey: typo } });
  await step(() => w.up());
  w.config["cw-manage-provisioner:apiKeys"] = JSON.stringify(handedOver);

  const second = await step(() => w.up());
  assert.equal((second?.outputs.s365l as { compliant?: boolean } | undefined)?.compliant, true, errors.join("\n"));
  await step(() => w.up());
  await step(() => w.engine.refresh());
  // A provider whose own key the tenant rejects fails with a sentence that must not carry it either.
  const wrongProvider = new ManageClient({ site: w.emu.url, companyId: company, publicKey: providerPublic, privateKey: `${providerPrivate}-wrong`, clientId: "x" });
  await step(() => wrongProvider.list("/system/securityroles", (require("zod") as typeof import("zod")).z.any()));
  await w.con.revokeKey(company, key.publicKey);
  await step(() => w.engine.refresh());
  await step(() => w.up());
  await step(() => w.engine.destroy());

  const markers = [providerPrivate, `${providerPrivate}-wrong`, key.privateKey, typo, basic(company, providerPublic, providerPrivate), basic(company, key.publicKey, key.privateKey)];
  const found: string[] = [];
  found.push(...leaks(printed.join(""), markers, () => false).map((l) => `printed: ${l}`));
  found.push(...leaks(w.host.output.join("\n"), markers, () => false).map((l) => `host output: ${l}`));
  found.push(...leaks(errors.join("\n"), markers, () => false).map((l) => `error: ${l}`));
  for (const snapshot of snapshots) {
    for (const r of snapshot as Array<{ urn: string; inputs: unknown; outputs: unknown; secretInputs: string[]; secretOutputs: string[] }>) {
      found.push(...leaks(r.inputs, markers, (p) => p.length === 1 && r.secretInputs.includes(p[0])).map((l) => `state ${r.urn} inputs: ${l}`));
      found.push(...leaks(r.outputs, markers, (p) => p.length === 1 && r.secretOutputs.includes(p[0])).map((l) => `state ${r.urn} outputs: ${l}`));
    }
  }
  for (const run of runs) {
    for (const reg of run.registrations) {
      found.push(...leaks(reg.inputs, markers, (p) => p.length === 1 && reg.secretInputs.includes(p[0])).map((l) => `registration ${reg.urn}: ${l}`));
    }
    found.push(...leaks(run.outputs, markers, (p) => run.secretPaths.includes(p.join("."))).map((l) => `stack outputs: ${l}`));
  }
  assert.deepEqual(found, []);

  // The scan can fail: the key really is in state, under a secret value.
  const everything = JSON.stringify(snapshots);
  assert.ok(everything.includes(key.privateKey), "the API key's private key is kept (as a secret) in state");
  assert.ok(!everything.includes(providerPrivate), "the provider's own key never enters state, not even as a secret");
  assert.ok(errors.length >= 2, `the lifecycle produced errors to scan:\n${errors.join("\n")}`);
  assert.ok(runs.some((r) => r.secretPaths.includes("s365l.privateKey")), "the stack output privateKey is marked secret");
});

test("the client refuses plain http to anything but loopback", () => {
  assert.throws(
    () => new ManageClient({ site: "http://cw.example.com", companyId: "c", publicKey: "p", privateKey: "k", clientId: "x" }),
    /plain http to a non-loopback host; use https/,
  );
  assert.doesNotThrow(() => new ManageClient({ site: "http://localhost:1", companyId: "c", publicKey: "p", privateKey: "k", clientId: "x" }));
});
