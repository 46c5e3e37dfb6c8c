#!/usr/bin/env node
// Runs every tests/**/*.test.ts through node's own test runner, loading TypeScript with
// ts-node (CommonJS), as Pulumi loads the program. Node 20's --test takes no globs, so we list.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

function findTests(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(full));
    else if (entry.name.endsWith(".test.ts")) out.push(full);
  }
  return out.sort();
}

const root = path.resolve(__dirname, "..");
const filters = process.argv.slice(2);
const files = findTests(path.join(root, "tests"))
  .map((f) => path.relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test file matches ${filters.join(" ")}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--require", "ts-node/register", "--test", "--test-concurrency=2", ...files],
  // Types are checked once by `tsc --noEmit` before this runs; each test process only transpiles.
  { cwd: root, stdio: "inherit", env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } },
);
process.exit(result.status === null ? 1 : result.status);
