// createRecovering without a tenant: scripted POST and lookup outcomes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRecovering, ManageApiError } from "../providers/manage/client";

const unknown = () => new ManageApiError({ method: "POST", path: "/x", network: "ECONNRESET", outcomeUnknown: true });
const exists = () => new ManageApiError({ method: "POST", path: "/x", status: 400, code: "InvalidObject", errors: [{ code: "ObjectExists", field: "name" }] });

test("an unknown POST that landed is found, not re-sent", async () => {
  let posts = 0;
  const r = await createRecovering(async () => { posts++; throw unknown(); }, async () => "found");
  assert.equal(r, "found");
  assert.equal(posts, 1);
});

test("an unknown POST that did not land is sent again", async () => {
  let posts = 0;
  const r = await createRecovering(async () => { if (++posts === 1) throw unknown(); return "made"; }, async () => undefined);
  assert.equal(r, "made");
  assert.equal(posts, 2);
});

test("a re-POST told 'already exists' looks again: the first POST landed late", async () => {
  let lookups = 0;
  const posts: string[] = [];
  const r = await createRecovering(
    async () => { posts.push("post"); if (posts.length === 1) throw unknown(); throw exists(); },
    async () => (++lookups === 1 ? undefined : "late"),
  );
  assert.equal(r, "late");
  assert.deepEqual(posts, ["post", "post"]);
});

test("a failed lookup after an unknown POST says the object may exist and how to adopt it", async () => {
  await assert.rejects(
    createRecovering(async () => { throw unknown(); }, async () => { throw new Error("lookup 503"); }),
    /may exist without this stack knowing it: if the next run reports it as already existing, set adopt: true/,
  );
});

test("other errors pass through untouched; a first 'already exists' is the caller's to explain", async () => {
  await assert.rejects(createRecovering(async () => { throw exists(); }, async () => "never"), (e) => e instanceof ManageApiError && e.isObjectExists);
  await assert.rejects(createRecovering(async () => { throw new Error("boom"); }, async () => "never"), /boom/);
});
