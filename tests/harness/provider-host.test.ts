import { test } from "node:test";
import * as assert from "node:assert/strict";
import { HostError, serializeProvider, urn } from "./provider-host";
import { counterProvider, COUNTER_TYPE } from "./fixtures/counter-provider";
import { CheckFailedError } from "./engine";
import { setup, PROJECT, STACK } from "./fixtures/setup";

const u = (name: string) => urn(STACK, PROJECT, COUNTER_TYPE, name);

test("urn helper", () => {
  assert.equal(urn("dev", "p", "pulumi-nodejs:dynamic:Resource", "x"), "urn:pulumi:dev::p::pulumi-nodejs:dynamic:Resource::x");
});

test("serializes a TS provider under ts-node like dynamic.Resource does", async () => {
  const text = await serializeProvider(counterProvider);
  assert.match(text, /^exports\.handler = __f0;/);
  assert.match(text, /async function \/\*configure\*\//);
  assert.match(text, /require\("node:fs"\)/, "requires stay inside the method bodies");
  assert.equal(await serializeProvider(counterProvider), text, "deterministic text (the host caches by text)");
});

test("configure gets the namespaced stack config; secrets arrive unwrapped; console output is captured", async () => {
  const f = await setup({ [`${PROJECT}:label`]: "green" }, [`${PROJECT}:label`]);
  try {
    await f.engine.ensureConfigured();
    const c = await f.host.check(u("a"), {}, { __provider: f.providerText, title: "a", value: 1 });
    assert.deepEqual(c.failures, []);
    assert.equal(c.inputs.__provider, f.providerText, "host re-adds __provider after check");
    const r = await f.host.create(u("a"), c.inputs);
    assert.equal(r.id, "c-1");
    assert.equal(r.properties.label, "green", "unqualified config.get('label') resolves to harness:label, unwrapped");
    assert.equal(r.properties.__provider, f.providerText, "host echoes __provider into outputs");
    assert.equal(f.remote()["c-1"].title, "a");
    await f.host.waitForOutput("counter configure label=green");
    await f.host.waitForOutput("counter create c-1 a");
  } finally {
    await f.stop();
  }
});

test("host surprise: a CRUD call before Configure caches the provider unconfigured for the process", async () => {
  const f = await setup();
  try {
    const props = { __provider: f.providerText, title: "a", value: 1 };
    await assert.rejects(f.host.create(u("a"), props), (e: unknown) => e instanceof HostError && /reading 'counter:dbPath'/.test(e.message));
    await f.host.configure(f.config);
    // getProvider() stored the provider before configure() threw, so it is never configured again.
    await assert.rejects(f.host.create(u("a"), props), (e: unknown) => e instanceof HostError && /ENOENT/.test(e.message));
  } finally {
    await f.stop();
  }
});

test("check failures come back as failures, and the engine throws naming them", async () => {
  const f = await setup();
  try {
    await f.engine.ensureConfigured();
    const c = await f.host.check(u("bad"), {}, { __provider: f.providerText, title: "", value: "seven" });
    assert.deepEqual(c.failures, [
      { property: "title", reason: "title is required" },
      { property: "value", reason: "value must be a number, got string" },
    ]);
    await assert.rejects(
      f.engine.apply([{ type: COUNTER_TYPE, name: "bad", inputs: { __provider: f.providerText, title: "", value: 1 } }]),
      (e: unknown) => e instanceof CheckFailedError && /bad: check failed: title: title is required/.test(e.message),
    );
    assert.equal(f.engine.state.size, 0);
  } finally {
    await f.stop();
  }
});

test("a plain throw is gRPC UNKNOWN with the message as details", async () => {
  const f = await setup();
  try {
    await f.engine.ensureConfigured();
    const props = { __provider: f.providerText, title: "x", value: 1 };
    await assert.rejects(f.host.update("c-99", u("x"), props, props), (e: unknown) => {
      assert.ok(e instanceof HostError);
      assert.equal(e.code, 2);
      assert.equal(e.message, "counter c-99 not found");
      assert.equal(e.initFailure, undefined);
      return true;
    });
  } finally {
    await f.stop();
  }
});

test("init failure: HostError carries id/properties/reasons and the engine records the partial state", async () => {
  const f = await setup();
  try {
    const inputs = { __provider: f.providerText, title: "half", value: 1, failInit: true };
    await assert.rejects(f.engine.apply([{ type: COUNTER_TYPE, name: "half", inputs }]), (e: unknown) => {
      assert.ok(e instanceof HostError);
      assert.equal(e.message, "counter c-1 failed to initialise");
      assert.deepEqual(e.initFailure?.reasons, ["initialisation timed out"]);
      assert.equal(e.initFailure?.id, "c-1");
      return true;
    });
    const s = f.engine.get(COUNTER_TYPE, "half");
    assert.ok(s);
    assert.equal(s.id, "c-1");
    assert.deepEqual(s.initErrors, ["initialisation timed out"]);
    assert.equal(s.outputs.title, "half");
    assert.equal(s.outputs.__provider, f.providerText);
    assert.ok(f.remote()["c-1"], "the remote object exists");
    // Because the partial state carries __provider, destroy can clean up the orphan.
    const d = await f.engine.destroy();
    assert.deepEqual(d.deleted, [s.urn]);
    assert.deepEqual(f.remote(), {});
  } finally {
    await f.stop();
  }
});
