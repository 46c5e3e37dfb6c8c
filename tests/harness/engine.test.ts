import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DesiredResource, programFromModule, runProgramThroughEngine, UNKNOWN_VALUE } from "./engine";
import { Counter, COUNTER_TYPE } from "./fixtures/counter-provider";
import { setup, Fixture, PROJECT, STACK } from "./fixtures/setup";
import { twoCounters, firstOnly } from "./fixtures/counter-program";

const counter = (f: Fixture, name: string, inputs: Record<string, unknown>, extra: Partial<DesiredResource> = {}): DesiredResource => ({
  type: COUNTER_TYPE,
  name,
  inputs: { __provider: f.providerText, ...inputs },
  ...extra,
});

test("full lifecycle: create, no-op, update, refresh, replace (both orders), delete", async () => {
  const f = await setup();
  const { engine } = f;
  const urnA = engine.urn(COUNTER_TYPE, "a");
  try {
    let s = await engine.apply([counter(f, "a", { title: "one", value: 1 })]);
    assert.deepEqual(s.created, [urnA]);
    const created = engine.state.get(urnA)!;
    assert.equal(created.id, "c-1");
    assert.equal(created.outputs.writes, 1);
    assert.equal(created.outputs.label, "blue");

    // Same inputs -> Diff says none -> state kept (old outputs, incl. old __provider).
    s = await engine.apply([counter(f, "a", { title: "one", value: 1 })]);
    assert.deepEqual(s.same, [urnA]);
    assert.equal(s.steps[0].diff?.changes, "none");
    assert.deepEqual(engine.state.get(urnA)!.outputs, created.outputs);

    // Preview plans an update without performing it.
    assert.deepEqual(await engine.preview([counter(f, "a", { title: "one", value: 2 })]), { [urnA]: "update" });
    assert.equal(f.remote()["c-1"].value, 1);

    s = await engine.apply([counter(f, "a", { title: "one", value: 2 })]);
    assert.deepEqual(s.updated, [urnA]);
    assert.equal(engine.state.get(urnA)!.outputs.writes, 2);
    assert.equal(f.remote()["c-1"].value, 2);

    // Drift: someone edits the remote object; refresh reads it back, incl. inputs (ReadResult.inputs).
    f.editRemote((o) => (o["c-1"].value = 42));
    s = await engine.refresh();
    assert.deepEqual(s.updated, [urnA]);
    assert.equal(engine.state.get(urnA)!.outputs.value, 42);
    assert.equal(engine.state.get(urnA)!.inputs.value, 42);
    assert.equal(engine.state.get(urnA)!.inputs.__provider, f.providerText, "host adds __provider to read inputs");

    // Title change -> replaces ["title"]; default create-before-delete.
    assert.deepEqual(await engine.preview([counter(f, "a", { title: "two", value: 42 })]), { [urnA]: "replace" });
    s = await engine.apply([counter(f, "a", { title: "two", value: 42 })]);
    assert.deepEqual(s.replaced, [urnA]);
    assert.deepEqual(
      s.steps.map((x) => [x.op, x.id, x.detail]),
      [["replace", "c-2", "create-before-delete"], ["delete", "c-1", "replaced"]],
    );
    assert.deepEqual(Object.keys(f.remote()), ["c-2"]);

    // Provider asks for delete-before-replace.
    s = await engine.apply([counter(f, "a", { title: "three", value: 42, dbr: true })]);
    assert.deepEqual(
      s.steps.map((x) => [x.op, x.id]),
      [["delete", "c-2"], ["replace", "c-3"]],
    );
    assert.deepEqual(Object.keys(f.remote()), ["c-3"]);

    // Not desired any more -> deleted.
    assert.deepEqual(await engine.preview([]), { [urnA]: "delete" });
    s = await engine.apply([]);
    assert.deepEqual(s.deleted, [urnA]);
    assert.equal(engine.state.size, 0);
    assert.deepEqual(f.remote(), {});
    assert.ok(f.host.output.includes("counter delete c-3"));
  } finally {
    await f.stop();
  }
});

test("dependency order for creates and deletes; refresh drops a resource whose read returns no id", async () => {
  const f = await setup();
  const { engine } = f;
  try {
    const parentUrn = engine.urn(COUNTER_TYPE, "parent");
    const childUrn = engine.urn(COUNTER_TYPE, "child");
    // Given child-first; dependencies put parent first.
    await engine.apply([
      counter(f, "child", { title: "c", value: 1, parentId: "c-1" }, { dependencies: [parentUrn] }),
      counter(f, "parent", { title: "p", value: 1 }),
    ]);
    assert.deepEqual([...engine.state.keys()], [parentUrn, childUrn]);
    assert.equal(engine.state.get(parentUrn)!.id, "c-1");

    f.editRemote((o) => delete o["c-2"]);
    const r = await engine.refresh();
    assert.deepEqual(r.deleted, [childUrn]);
    assert.deepEqual([...engine.state.keys()], [parentUrn]);

    await engine.apply([
      counter(f, "parent", { title: "p", value: 1 }),
      counter(f, "child", { title: "c", value: 1, parentId: "c-1" }, { dependencies: [parentUrn] }),
    ]);
    const d = await engine.destroy();
    assert.deepEqual(d.deleted, [childUrn, parentUrn], "dependents are deleted first");
    assert.deepEqual(f.remote(), {});
  } finally {
    await f.stop();
  }
});

test("secret outputs follow the engine rules (same-named secret input, additionalSecretOutputs)", async () => {
  const f = await setup();
  try {
    await f.engine.apply([
      counter(f, "s", { title: "s", value: 1, token: "hunter2" }, { secretInputs: ["token"], additionalSecretOutputs: ["writes"] }),
    ]);
    const s = f.engine.get(COUNTER_TYPE, "s")!;
    assert.deepEqual(s.secretOutputs.sort(), ["token", "writes"]);
    assert.equal(s.outputs.token, "hunter2", "provider code always sees and returns plaintext");
    assert.deepEqual(JSON.parse(JSON.stringify(f.engine.snapshot()))[0].secretInputs, ["token"]);
  } finally {
    await f.stop();
  }
});

test("a real program under setMocks, routed through the engine: run, re-run (no changes), shrink (delete)", async () => {
  const config = { [`${PROJECT}:prefix`]: "pre", [`${PROJECT}:token`]: "s3cret" };
  const secretKeys = [`${PROJECT}:token`];
  const f = await setup(config, secretKeys);
  const { engine } = f;
  const opts = { project: PROJECT, stack: STACK, config: f.config, secretKeys, engine };
  const first = engine.urn(COUNTER_TYPE, "first");
  const second = engine.urn(COUNTER_TYPE, "second");
  try {
    // Preview before anything exists: ids and computed outputs are unknown.
    const p = await runProgramThroughEngine(twoCounters, { ...opts, mode: "preview" });
    assert.deepEqual(p.summary.plan, { [first]: "create", [second]: "create" });
    assert.equal(p.outputs.firstId, UNKNOWN_VALUE);
    assert.equal(p.outputs.secondValue, UNKNOWN_VALUE);
    assert.equal(engine.state.size, 0);

    const r1 = await runProgramThroughEngine(twoCounters, { ...opts, mode: "up" });
    assert.deepEqual(r1.summary.created, [first, second]);
    assert.deepEqual(r1.outputs, { firstId: "c-1", secondParent: "c-1", secondValue: 1, firstToken: "s3cret" });
    assert.deepEqual(r1.secretOutputs, ["firstToken"], "requireSecret -> secret input -> secret output -> secret stack output");
    const reg = r1.registrations.find((x) => x.urn === second)!;
    assert.deepEqual(reg.dependencies, [first], "property dependency reaches the engine as a URN");
    assert.deepEqual(r1.registrations.find((x) => x.urn === first)!.secretInputs, ["token"]);
    assert.deepEqual(engine.state.get(first)!.secretOutputs, ["token"]);
    assert.equal(f.remote()["c-2"].parentId, "c-1", "second saw the first's real id");

    // Same process, second run (module re-required): nothing changes.
    const r2 = await runProgramThroughEngine(programFromModule(path.join(__dirname, "fixtures/counter-program"), "twoCounters"), {
      ...opts,
      mode: "up",
    });
    assert.deepEqual(r2.summary.same, [first, second]);
    assert.deepEqual([r2.summary.created, r2.summary.updated, r2.summary.deleted], [[], [], []]);
    assert.deepEqual(r2.outputs, r1.outputs);

    const p3 = await runProgramThroughEngine(firstOnly, { ...opts, mode: "preview" });
    assert.deepEqual(p3.summary.plan, { [first]: "same", [second]: "delete" });
    assert.deepEqual(Object.keys(f.remote()), ["c-1", "c-2"]);

    const r3 = await runProgramThroughEngine(firstOnly, { ...opts, mode: "up" });
    assert.deepEqual(r3.summary.deleted, [second]);
    assert.deepEqual(r3.summary.same, [first]);
    assert.deepEqual(Object.keys(f.remote()), ["c-1"]);
    assert.deepEqual(r3.outputs, { firstId: "c-1" });
  } finally {
    await f.stop();
  }
});

test("a program whose resource fails Check fails the run with the engine's error instead of hanging", async () => {
  const f = await setup();
  try {
    const program = () => {
      const bad = new Counter("bad", { title: "", value: 1 });
      const dependent = new Counter("dependent", { title: "d", value: 1, parentId: bad.id });
      return { id: dependent.id };
    };
    await assert.rejects(
      runProgramThroughEngine(program, { project: PROJECT, stack: STACK, config: f.config, engine: f.engine, mode: "up" }),
      /Counter::bad: check failed: title: title is required/,
    );
    assert.equal(f.engine.state.size, 0);
  } finally {
    await f.stop();
  }
});

test("a provider that captures a secret gets a secret-wrapped __provider in mocks; the engine unwraps and marks it", async () => {
  const f = await setup();
  const captured = pulumi.secret("captured-token");
  const secretCapturingProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: { title: string }) {
      return { id: `s-${inputs.title}`, outs: { title: inputs.title, tokenLength: (captured as unknown as { get(): string }).get().length } };
    },
  };
  class Captures extends pulumi.dynamic.Resource {
    declare public readonly tokenLength: pulumi.Output<number>;
    constructor(name: string) {
      super(secretCapturingProvider, name, { title: name, tokenLength: undefined }, undefined, "test", "Captures");
    }
  }
  try {
    const r = await runProgramThroughEngine(() => ({ len: new Captures("x").tokenLength }), {
      project: PROJECT,
      stack: STACK,
      config: f.config,
      engine: f.engine,
      mode: "up",
    });
    const urn = f.engine.urn("pulumi-nodejs:dynamic/test:Captures", "x");
    assert.deepEqual(r.registrations.find((x) => x.urn === urn)!.secretInputs, ["__provider"]);
    const s = f.engine.state.get(urn)!;
    assert.equal(typeof s.inputs.__provider, "string");
    assert.deepEqual(s.secretOutputs, ["__provider"], "same-name rule: the whole provider text is stored as a secret");
    assert.deepEqual(r.outputs, { len: "captured-token".length });
  } finally {
    await f.stop();
  }
});
