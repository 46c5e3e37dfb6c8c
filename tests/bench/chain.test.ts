import { test } from "node:test";
import assert from "node:assert/strict";
import { longestChain } from "./chain";

test("parallel requests count once, sequential ones add up", () => {
  assert.equal(longestChain([]), 0);
  assert.equal(longestChain([{ startedAt: 0, endedAt: 50 }, { startedAt: 1, endedAt: 51 }, { startedAt: 2, endedAt: 52 }]), 1);
  assert.equal(longestChain([{ startedAt: 0, endedAt: 50 }, { startedAt: 51, endedAt: 101 }, { startedAt: 102, endedAt: 150 }]), 3);
  // Two parallel branches of different length: the longer one decides.
  assert.equal(
    longestChain([
      { startedAt: 0, endedAt: 50 },
      { startedAt: 60, endedAt: 110 },
      { startedAt: 60, endedAt: 110 },
      { startedAt: 120, endedAt: 170 },
    ]),
    3,
  );
});
