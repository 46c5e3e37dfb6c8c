// Concurrency and limits: several stacks and several tenants in flight at once against one emulator,
// one provider host per tenant (as the engine runs one host process for all dynamic resources), with
// several engines sharing a host. The per-tenant request limit holds, a 429 burst slows its tenant
// down without failing it or the others, and a failing tenant neither stops nor corrupts the rest.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { securityRoleProvider } from "../providers/manage/security-role";
import { apiMemberProvider } from "../providers/manage/api-member";
import { pauseTenant, withTenantSlot } from "../providers/manage/client/limiter";
import { PROVIDER_VERSION } from "../providers/manage/version";
import { startEmulator, RunningEmulator, EmulatorCredentials } from "./emulator/server";
import { EmulatorConsole } from "./emulator/console-client";
import { startProviderHost, ProviderHost } from "./harness/provider-host";
import { DesiredResource, Engine } from "./harness/engine";
import { PROJECT, ROOT, providerText } from "./support/tenant";
import { Stack, assertInvariants, assertReadableError, ownedByPrefix } from "./support/invariants";

process.env.CWMANAGE_QUIET = "1";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const owns = ownedByPrefix("CC", "CC");

interface TenantRig {
  label: string;
  creds: EmulatorCredentials;
  limit: number;
  host: ProviderHost;
  stacks: Stack[];
  /** What each stack declares now (one list per stack). */
  declared: DesiredResource[][];
}

let emu: RunningEmulator;
let con: EmulatorConsole;
const rigs: Record<"A" | "B" | "C" | "D", TenantRig> = {} as never;

async function rig(label: string, limit: number, stackCount: number, opts: { privateKey?: string; verbose?: boolean } = {}): Promise<TenantRig> {
  const creds = await con.addCompany();
  const config: Record<string, string> = {
    "cwmanage:site": emu.url,
    "cwmanage:companyId": creds.companyId,
    "cwmanage:publicKey": creds.publicKey,
    "cwmanage:privateKey": opts.privateKey ?? creds.privateKey,
    "cwmanage:clientId": creds.clientId,
    "cwmanage:maxConcurrency": String(limit),
    "cwmanage:retryBaseMs": "5",
    "cwmanage:retryMaxMs": "50",
  };
  // One host process per tenant; a verbose host prints the client's retry lines (its log).
  const host = await startProviderHost({ cwd: ROOT, project: PROJECT, env: { CWMANAGE_QUIET: opts.verbose ? "0" : "1" } });
  const stacks = Array.from({ length: stackCount }, (_, i) => new Stack(new Engine({ host, project: PROJECT, stack: `${label.toLowerCase()}${i + 1}`, config, secretConfigKeys: ["cwmanage:privateKey"] })));
  return { label, creds, limit, host, stacks, declared: stacks.map(() => []) };
}

before(async () => {
  emu = await startEmulator({ port: 0 });
  con = new EmulatorConsole(emu.url, emu.consoleToken);
  const [a, b, c, d] = await Promise.all([
    rig("A", 2, 3, { verbose: true }),
    rig("B", 3, 2),
    rig("C", 2, 1),
    rig("D", 2, 1, { privateKey: "not-the-private-key" }),
  ]);
  Object.assign(rigs, { A: a, B: b, C: c, D: d });
});
after(async () => {
  await Promise.all(Object.values(rigs).map((r) => r.host.stop()));
  await emu.close();
});

const role = async (name: string, roleName: string): Promise<DesiredResource> => ({
  type: "pulumi-nodejs:dynamic/cwmanage:SecurityRole",
  name,
  inputs: { __provider: await providerText(securityRoleProvider), name: roleName, providerVersion: PROVIDER_VERSION },
});

/** A member with every reference: its create sends eight reads at once (lookup + seven references). */
const member = async (name: string, identifier: string, memberName = "Concurrent Sync"): Promise<DesiredResource> => ({
  type: "pulumi-nodejs:dynamic/cwmanage:ApiMember",
  name,
  inputs: {
    __provider: await providerText(apiMemberProvider),
    identifier,
    name: memberName,
    securityRole: "Technician",
    defaultDepartment: "Admin",
    defaultLocation: "Main Office",
    securityLocation: "Main Office",
    salesDefaultLocation: "Remote",
    structureLevel: "Corporate (Level 1)",
    timeZone: "Eastern",
    emailAddress: `${identifier.toLowerCase()}@example.com`,
    providerVersion: PROVIDER_VERSION,
  },
});

/** The role and member of stack `i` of a tenant, named after both so no two stacks collide. */
const identity = async (r: TenantRig, i: number, memberName?: string) => [
  await role("role", `CC ${r.label}${i + 1} role`),
  await member("member", `CC${r.label}${i + 1}`, memberName),
];

const check = (r: TenantRig, context: string, settled = true) =>
  assertInvariants(con, r.creds.companyId, r.stacks, { owns, declared: settled ? r.declared : undefined, context: `tenant ${r.label}: ${context}` });

test("the per-tenant request limit holds with several stacks on one host and several tenants at once", async () => {
  const { A, B, C } = rigs;
  await con.setLatency(20); // requests overlap
  await con.resetLog();
  try {
    const work: Promise<unknown>[] = [];
    for (const r of [A, B, C]) {
      for (const [i, stack] of r.stacks.entries()) {
        r.declared[i] = await identity(r, i);
        work.push(stack.up(r.declared[i]));
      }
    }
    await Promise.all(work);
  } finally {
    await con.setLatency(0);
  }
  const log = await con.log();
  for (const r of [A, B, C]) {
    const peak = log.maxInFlight[r.creds.companyId] ?? 0;
    assert.ok(peak <= r.limit, `tenant ${r.label}: ${peak} requests in flight at once, cwmanage:maxConcurrency is ${r.limit}`);
    await check(r, "after the concurrent apply");
  }
  // The limit is what bounded each tenant (it was reached), and it is per tenant, not per process.
  assert.equal(log.maxInFlight[A.creds.companyId], A.limit, "tenant A, three stacks on one host, reached its limit of 2");
  assert.equal(log.maxInFlight[B.creds.companyId], B.limit, "tenant B, two stacks on one host, reached its limit of 3");
});

test("a 429 burst with Retry-After on one tenant slows that tenant down; its apply succeeds and the others carry on", async () => {
  const { A, B, C } = rigs;
  await test1Done();
  await con.resetLog();
  const fault = await con.addFault({ companyId: A.creds.companyId, path: "/system/", kind: "status", status: 429, retryAfterSeconds: 1, count: 2 });

  // Tenant A creates a second member on its first stack (eight reads at once, two at a time) while
  // B and C keep working.
  const started = Date.now();
  A.declared[0] = [...A.declared[0], await member("member2", "CCA1X"), await role("role2", "CC A1 second role")];
  const applyA = A.stacks[0].up(A.declared[0]);
  let aDone = false;
  void applyA.then(() => (aDone = true), () => (aDone = true));
  const others = [B, C].map(async (r) => {
    for (let i = 0; i < 400 && !aDone; i++) await r.stacks[0].refresh();
  });
  await applyA;
  const elapsed = Date.now() - started;
  await Promise.all(others);
  await con.clearFaults();

  const log = await con.log();
  assert.equal((await con.listFaults()).length, 0);
  const ofA = log.entries.filter((e) => e.companyId === A.creds.companyId);
  const throttled = ofA.filter((e) => e.status === 429);
  assert.equal(throttled.length, 2, `tenant A was answered 429 twice (fault ${fault.id})`);
  assert.ok(elapsed >= 1000, `A's apply honoured Retry-After: 1 (took ${elapsed} ms)`);
  assert.ok(A.host.output.some((l) => /answered 429; retry 2\/\d+ in 1\.0s/.test(l)), `the provider logged its wait:\n${A.host.output.join("\n")}`);

  // Both 429s answered requests in flight together, not a retry after the pause.
  assert.ok(throttled[1].startedAt < throttled[0].endedAt + 500, "the two 429s hit two requests in flight at once");
  // The whole tenant paused: after its last 429, none of A's six other waiting reads was sent for the
  // Retry-After, while B and C were served meanwhile.
  const last429 = throttled[throttled.length - 1];
  const nextOfA = ofA.find((e) => e.seq > last429.seq);
  assert.ok(nextOfA, "A went on after the 429s");
  const gap = nextOfA.startedAt - last429.endedAt;
  assert.ok(gap >= 950, `A's next request came ${Math.round(gap)} ms after its last 429; Retry-After was 1 s`);
  const servedMeanwhile = log.entries.filter((e) => e.startedAt > last429.endedAt && e.endedAt < nextOfA.startedAt);
  assert.ok(servedMeanwhile.length > 0, "other tenants were served while A waited");
  assert.ok(servedMeanwhile.every((e) => e.companyId !== A.creds.companyId));

  await check(A, "after its 429 burst");
  await check(B, "while A was rate-limited");
  await check(C, "while A was rate-limited");
});

test("one failing tenant (503 on everything, or wrong credentials) neither stops nor corrupts the others", async () => {
  const { A, B, C, D } = rigs;
  await test1Done();
  await con.addFault({ companyId: C.creds.companyId, kind: "status", status: 503, rate: 1 });
  const before = C.declared[0];
  const wantedC = [...(await identity(C, 0, "Renamed While Down")), await role("role2", "CC C1 second role")];
  const wantedD = await identity(D, 0);
  A.declared[1] = await identity(A, 1, "A2 renamed");
  B.declared[0] = await identity(B, 0, "B1 renamed");
  B.declared[1] = [...B.declared[1], await member("member2", "CCB2X")];

  const results = await Promise.allSettled([
    C.stacks[0].up(wantedC),
    D.stacks[0].up(wantedD),
    A.stacks[1].up(A.declared[1]),
    B.stacks[0].up(B.declared[0]),
    B.stacks[1].up(B.declared[1]),
  ]);
  await con.clearFaults();
  const [c, d, ...healthy] = results;
  for (const h of healthy) assert.equal(h.status, "fulfilled", h.status === "rejected" ? String((h.reason as Error).message) : "");
  assert.equal(c.status, "rejected", "tenant C cannot apply while every request answers 503");
  assert.equal(d.status, "rejected", "tenant D cannot apply with a wrong private key");
  assertReadableError(c.reason, [/ConnectWise Manage failed on (GET|PATCH|POST) \/system\/\S+ with 503 after 5 attempts/], "tenant C");
  assertReadableError(d.reason, [/rejected the credentials for GET \/system\/\S+ \(401/, /check the company id and the public\/private key pair/], "tenant D");

  await check(A, "beside the failing tenants");
  await check(B, "beside the failing tenants");
  // The failing tenants' state is what it was: C still as last applied, D empty, nothing half-made.
  C.declared[0] = before;
  await check(C, "after failing on 503s");
  await check(D, "after failing on 401");

  // Once the tenant is healthy again the same apply converges.
  C.declared[0] = wantedC;
  await C.stacks[0].up(wantedC);
  await check(C, "re-applied once healthy");
});

test("a pause extended while a request waits is honoured before it is sent", async () => {
  const key = "http://pause.invalid|co";
  const start = Date.now();
  pauseTenant(key, start + 100);
  const sent = withTenantSlot(key, 2, async () => Date.now());
  await sleep(50);
  pauseTenant(key, start + 250); // a later 429 while the first pause is being waited out
  assert.ok((await sent) - start >= 245, "the request waited for the extended pause");
});

/** Tests 2 and 3 build on the identities the first test applied. */
async function test1Done(): Promise<void> {
  assert.ok(rigs.A.declared[0].length > 0, "the first test applied every tenant's identities");
}
