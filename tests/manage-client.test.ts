// The Manage client against the emulator: discovery, pagination, conditions, each error class,
// retries (429 with Retry-After, 5xx), and the rule that an unknown POST is never re-sent.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ManageClient, ManageApiError, conditions, createRecovering, securityRoleSchema, apiMemberSchema } from "../providers/manage/client";
import { parseRetryAfter, retryDelayMs, DEFAULT_RETRY } from "../providers/manage/client/retry";
import { parseLinkHeader } from "../providers/manage/client/pagination";
import { siteOrigin, connectionFromSettings } from "../providers/manage/client/connection";
import { startEmulator, RunningEmulator } from "./emulator/server";
import { EmulatorConsole } from "./emulator/console-client";

process.env.CWMANAGE_QUIET = "1";
let emu: RunningEmulator;
let con: EmulatorConsole;
let client: ManageClient;
const ROLES = "/system/securityroles";

function clientFor(overrides: Partial<ConstructorParameters<typeof ManageClient>[0]> = {}): ManageClient {
  return new ManageClient({ site: emu.url, ...emu.admin, retryBaseMs: 5, retryMaxMs: 20, ...overrides });
}

before(async () => {
  emu = await startEmulator({ port: 0 });
  con = new EmulatorConsole(emu.url, emu.consoleToken);
  client = clientFor();
});
after(async () => emu.close());

describe("connection", () => {
  test("a bare host means https; plain http only to loopback", () => {
    assert.equal(siteOrigin("api-na.myconnectwise.net").origin, "https://api-na.myconnectwise.net");
    assert.equal(siteOrigin("http://127.0.0.1:8080").origin, "http://127.0.0.1:8080");
    assert.throws(() => siteOrigin("http://cw.example.com"), /plain http to a non-loopback host/);
    assert.equal(siteOrigin("https://cw.example.com/v4_6_release/apis/3.0/").basePath, "/v4_6_release/apis/3.0");
  });

  test("missing settings are listed with the command that sets each", () => {
    assert.throws(
      () => connectionFromSettings((k) => (k === "cwmanage:site" ? "na.myconnectwise.net" : undefined), {}),
      (e: Error) =>
        /cwmanage:companyId is not set/.test(e.message) &&
        /pulumi config set --secret cwmanage:privateKey/.test(e.message) &&
        /CWMANAGE_CLIENT_ID/.test(e.message),
    );
  });
});

describe("reads", () => {
  test("discovers the codebase once per site and company, then reads", async () => {
    await con.resetLog();
    const fresh = clientFor({ companyId: emu.admin.companyId.toUpperCase() });
    delete (globalThis as { __cwmanageCodebases?: unknown }).__cwmanageCodebases;
    const roles = await fresh.list(ROLES, securityRoleSchema());
    await fresh.list(ROLES, securityRoleSchema());
    assert.ok(roles.some((r) => r.name === "Admin"));
    const log = await con.log();
    const discovery = log.entries.filter((e) => e.route.toLowerCase().startsWith("/login/companyinfo"));
    assert.equal(discovery.length, 1);
  });

  test("conditions quote and escape values: no injection through a name", async () => {
    const odd = 'Q"uote\\Back';
    await client.post(ROLES, { name: odd }, securityRoleSchema());
    const found = await client.findBy(ROLES, securityRoleSchema(), "name", odd);
    assert.equal(found?.name, odd);
    const injected = await client.findBy(ROLES, securityRoleSchema(), "name", 'x" or name!="');
    assert.equal(injected, undefined);
    assert.equal(conditions.eq("name", 'a"b'), 'name="a\\"b"');
    assert.equal(conditions.inList("id", [1, 2]), "id in (1, 2)");
    assert.throws(() => conditions.eq("name) or (1", "x"), /not a valid conditions field/);
  });

  test("lists follow Link rel=next across pages of 1000", async () => {
    const start = await client.count(ROLES);
    const batch = Array.from({ length: 1005 - start }, (_, i) => `Bulk role ${String(i).padStart(4, "0")}`);
    for (let i = 0; i < batch.length; i += 50) {
      await Promise.all(batch.slice(i, i + 50).map((name) => client.post(ROLES, { name }, securityRoleSchema())));
    }
    await con.resetLog();
    const all = await client.list(ROLES, securityRoleSchema(), { orderBy: "id asc" });
    assert.equal(all.length, await client.count(ROLES));
    assert.ok(all.length > 1000);
    assert.equal(new Set(all.map((r) => r.id)).size, all.length);
    const pages = (await con.log()).entries.filter((e) => e.method === "GET" && e.route === ROLES);
    assert.equal(pages.length, 2);
  });

  test("an unexpected response shape names the field", async () => {
    await assert.rejects(client.get(`${ROLES}/1`, apiMemberSchema()), /unexpected response from GET \/system\/securityroles\/1: identifier/);
  });
});

describe("errors", () => {
  test("401 says what to check and never shows a credential", async () => {
    const bad = clientFor({ privateKey: "WRONG-private-key-value" });
    await assert.rejects(bad.list(ROLES, securityRoleSchema()), (e: ManageApiError) => {
      assert.equal(e.status, 401);
      assert.match(e.message, /rejected the credentials/);
      for (const secret of ["WRONG-private-key-value", emu.admin.publicKey, emu.admin.privateKey, "Basic "]) assert.ok(!e.message.includes(secret));
      assert.ok(!JSON.stringify(e).includes("WRONG-private-key-value"));
      return true;
    });
  });

  test("403 names the permission the key's member lacks", async () => {
    const role = await client.post(ROLES, { name: "No access" }, securityRoleSchema());
    await client.post("/system/apiMembers", { identifier: "NOACCESS", name: "No access", securityRole: { id: role.id } }, apiMemberSchema());
    const key = await con.createKey(emu.admin.companyId, "NOACCESS", "test");
    const limited = clientFor({ publicKey: key.publicKey, privateKey: key.privateKey });
    await assert.rejects(limited.list(ROLES, securityRoleSchema()), (e: ManageApiError) => {
      assert.equal(e.status, 403);
      assert.match(e.message, /lacks System › Security Roles \(Inquire\)/);
      return true;
    });
  });

  test("404: find answers undefined, get throws isNotFound", async () => {
    assert.equal(await client.find(`${ROLES}/999999`, securityRoleSchema()), undefined);
    await assert.rejects(client.get(`${ROLES}/999999`, securityRoleSchema()), (e: ManageApiError) => e.isNotFound && /not found \(404/.test(e.message));
  });

  test("400 lists the vendor's field errors; duplicates are ObjectExists", async () => {
    await assert.rejects(client.post(ROLES, { name: "x".repeat(31) }, securityRoleSchema()), (e: ManageApiError) => {
      assert.equal(e.status, 400);
      assert.match(e.message, /name: /);
      return true;
    });
    await assert.rejects(client.post(ROLES, { name: "Admin" }, securityRoleSchema()), (e: ManageApiError) => e.isObjectExists && /already exists/.test(e.message));
  });

  test("405 for a verb the API lacks", async () => {
    await assert.rejects(client.patch(`${ROLES}/1`, [{ op: "replace", path: "name", value: "x" }], securityRoleSchema()), (e: ManageApiError) => e.status === 405);
  });
});

describe("retries", () => {
  test("429 honours Retry-After and then succeeds", async () => {
    await con.resetLog();
    await con.addFault({ kind: "status", status: 429, retryAfterSeconds: 1, path: "/system/departments", count: 1 });
    const started = Date.now();
    const departments = await client.list("/system/departments", apiMemberSchema().pick({ id: true }));
    assert.ok(departments.length > 0);
    assert.ok(Date.now() - started >= 900, "waited for Retry-After");
    const gets = (await con.log()).entries.filter((e) => e.route === "/system/departments");
    assert.deepEqual(gets.map((e) => e.status), [429, 200]);
  });

  test("503 and a reset connection are retried for reads", async () => {
    await con.resetLog();
    await con.addFault({ kind: "status", status: 503, path: "/system/locations", count: 2 });
    await con.addFault({ kind: "reset", path: "/system/locations", count: 1 });
    const locations = await client.list("/system/locations", apiMemberSchema().pick({ id: true }));
    assert.ok(locations.length > 0);
    const gets = (await con.log()).entries.filter((e) => e.route === "/system/locations");
    assert.equal(gets.filter((e) => e.status === 200).length, 1);
    assert.ok(gets.length >= 3);
  });

  test("gives up after the attempt budget with a sentence, not a stack", async () => {
    await con.addFault({ kind: "status", status: 503, path: "/system/timeZoneSetups", count: 10 });
    const small = clientFor({ maxAttempts: 3 });
    await assert.rejects(small.list("/system/timeZoneSetups", apiMemberSchema().pick({ id: true })), (e: ManageApiError) => {
      assert.equal(e.attempts, 3);
      assert.match(e.message, /failed on GET \/system\/timeZoneSetups with 503 after 3 attempts/);
      return true;
    });
    await con.clearFaults();
  });

  test("a POST whose response was dropped is not re-sent; recovery finds it by natural key", async () => {
    await con.resetLog();
    await con.addFault({ kind: "commitThenDrop", method: "POST", path: ROLES, count: 1 });
    await assert.rejects(client.post(ROLES, { name: "Dropped once" }, securityRoleSchema()), (e: ManageApiError) => e.outcomeUnknown);
    let posts = (await con.log()).entries.filter((e) => e.method === "POST" && e.route === ROLES);
    assert.equal(posts.length, 1);

    await con.addFault({ kind: "commitThenDrop", method: "POST", path: ROLES, count: 1 });
    const role = await createRecovering(
      () => client.post(ROLES, { name: "Dropped twice" }, securityRoleSchema()),
      () => client.findBy(ROLES, securityRoleSchema(), "name", "Dropped twice"),
    );
    assert.equal(role.name, "Dropped twice");
    posts = (await con.log()).entries.filter((e) => e.method === "POST" && e.route === ROLES);
    assert.equal(posts.length, 2, "one POST per create, none repeated");
    assert.equal((await client.list(ROLES, securityRoleSchema(), { conditions: conditions.eq("name", "Dropped twice") })).length, 1);
  });

  test("a POST answered 503 is reported as outcome unknown, not retried", async () => {
    await con.resetLog();
    await con.addFault({ kind: "status", status: 503, method: "POST", path: ROLES, count: 1 });
    await assert.rejects(client.post(ROLES, { name: "Maybe" }, securityRoleSchema()), (e: ManageApiError) => e.outcomeUnknown && e.status === 503);
    assert.equal((await con.log()).entries.filter((e) => e.method === "POST").length, 1);
  });

  test("a POST answered 429 was not acted on, so it is retried", async () => {
    await con.resetLog();
    await con.addFault({ kind: "status", status: 429, retryAfterSeconds: 0, method: "POST", path: ROLES, count: 1 });
    const role = await client.post(ROLES, { name: "After 429" }, securityRoleSchema());
    assert.equal(role.name, "After 429");
    assert.deepEqual((await con.log()).entries.filter((e) => e.method === "POST").map((e) => e.status), [429, 201]);
  });

  test("a response slower than the timeout fails a read after its retries", async () => {
    await con.addFault({ kind: "delay", delayMs: 400, path: "/system/info", count: 2 });
    const impatient = clientFor({ timeoutMs: 100, maxAttempts: 2 });
    await assert.rejects(impatient.get("/system/info", securityRoleSchema().partial()), (e: ManageApiError) => /timed out/.test(e.message) && e.attempts === 2);
    await con.clearFaults();
  });

  test("Retry-After as seconds or HTTP date; backoff capped", () => {
    assert.equal(parseRetryAfter("3"), 3000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
    assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon"), undefined);
    assert.equal(retryDelayMs(DEFAULT_RETRY, 1, 120_000), DEFAULT_RETRY.retryAfterCapMs);
    assert.ok(retryDelayMs(DEFAULT_RETRY, 30, undefined, () => 1) <= DEFAULT_RETRY.maxMs);
  });

  test("Link header parsing", () => {
    const links = parseLinkHeader('<https://h/a?page=2>; rel="next", <https://h/a?page=9>; rel="last"');
    assert.deepEqual(links, { next: "https://h/a?page=2", last: "https://h/a?page=9" });
  });
});
