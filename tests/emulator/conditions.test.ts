import { test } from "node:test";
import assert from "node:assert/strict";
import { ConditionSyntaxError, evaluate, parseConditions } from "./conditions";

const rows = [
  { id: 1, name: "Admin", identifier: "admin", inactiveFlag: false, securityRole: { id: 1, name: "Admin" }, _info: { lastUpdated: "2015-01-01T00:00:00Z" } },
  { id: 2, name: "Sync 365 License", identifier: "S365L", inactiveFlag: true, securityRole: { id: 5, name: "Technician" }, _info: { lastUpdated: "2020-06-01T00:00:00Z" } },
  { id: 3, name: 'Quote "Q" \\ back', identifier: "quoter", inactiveFlag: false, securityRole: { id: 7, name: "Sales" } },
  { id: 4, name: "Sales Bot", identifier: "sbot", inactiveFlag: false, notes: "handles 100% of leads" },
];
const ids = (conditions: string) => rows.filter((r) => evaluate(parseConditions(conditions), r)).map((r) => r.id);

test("comparison operators on numbers and strings (case-insensitive)", () => {
  assert.deepEqual(ids("id=2"), [2]);
  assert.deepEqual(ids("id != 2"), [1, 3, 4]);
  assert.deepEqual(ids("id < 2"), [1]);
  assert.deepEqual(ids("id > 2"), [3, 4]);
  assert.deepEqual(ids("id <= 2"), [1, 2]);
  assert.deepEqual(ids("id >= 3"), [3, 4]);
  assert.deepEqual(ids('identifier = "s365l"'), [2]);
  assert.deepEqual(ids('name < "B"'), [1]);
});

test("like, contains, in, not and booleans", () => {
  assert.deepEqual(ids('name like "sa%"'), [4]);
  assert.deepEqual(ids('name like "%license"'), [2]);
  assert.deepEqual(ids('name not like "%a%"'), [2]);
  assert.deepEqual(ids('name contains "LICENSE"'), [2]);
  assert.deepEqual(ids('notes contains "100%"'), [4]);
  assert.deepEqual(ids("id in (1, 3)"), [1, 3]);
  assert.deepEqual(ids('identifier not in ("admin", "sbot")'), [2, 3]);
  assert.deepEqual(ids("inactiveFlag = true"), [2]);
  assert.deepEqual(ids("not inactiveFlag = false"), [2]);
});

test("and binds tighter than or; parentheses override", () => {
  assert.deepEqual(ids("id = 1 or id = 2 and inactiveFlag = false"), [1]);
  assert.deepEqual(ids("(id = 1 or id = 2) and inactiveFlag = true"), [2]);
  assert.deepEqual(ids("id > 1 AND (securityRole/name = \"Sales\" OR notes != null)"), [3, 4]);
});

test("nested paths, null, dates and escapes", () => {
  assert.deepEqual(ids("securityRole/id = 5"), [2]);
  assert.deepEqual(ids("SECURITYROLE/ID in (1, 7)"), [1, 3]);
  assert.deepEqual(ids("securityRole = null"), [4]);
  assert.deepEqual(ids("notes != null"), [4]);
  assert.deepEqual(ids("_info/lastUpdated > [2015-12-23T05:53:27Z]"), [2]);
  assert.deepEqual(ids("_info/lastUpdated < [2015-12-23T05:53:27Z]"), [1]);
  assert.deepEqual(ids('name = "Quote \\"Q\\" \\\\ back"'), [3]);
});

test("syntax errors name the position", () => {
  const cases: Array<[string, number]> = [
    ["id = ", 6], ['name = "open', 8], ["(id = 1", 8], ["id = 1 id = 2", 8], ["= 3", 1], ["id ~ 3", 4], ["name not = 1", 10], ['name = "a\\q"', 10],
  ];
  for (const [src, pos] of cases) {
    assert.throws(() => parseConditions(src), (e: unknown) => e instanceof ConditionSyntaxError && e.position === pos && e.message.includes(`position ${pos}`), src);
  }
});
