// Fault injection: matching rules (company, method, path substring, count, seeded rate) and kinds.
import { ApiError, isRecord } from "./http-util";

export const FAULT_KINDS = ["status", "reset", "commitThenDrop", "delay"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  companyId?: string; method?: string; path?: string; kind: FaultKind; status?: number;
  retryAfterSeconds?: number; retryAfterHttpDate?: boolean; delayMs?: number; count?: number; rate?: number; seed?: number;
}
export interface Fault extends FaultSpec { id: number; remaining: number; hits: number }

/** mulberry32: a small deterministic PRNG so `rate` faults repeat exactly for a given seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private faults: Array<Fault & { rng?: () => number }> = [];
  private nextId = 0;

  add(spec: unknown): Fault {
    const bad = (m: string): never => { throw new ApiError(400, "InvalidObject", `fault is invalid: ${m}`); };
    if (!isRecord(spec)) return bad("expected a JSON object");
    const s = spec as unknown as FaultSpec;
    if (!FAULT_KINDS.includes(s.kind)) bad(`kind must be one of ${FAULT_KINDS.join(", ")}`);
    if (s.kind === "status" && !(Number.isInteger(s.status) && s.status! >= 400 && s.status! <= 599)) bad("status kind needs a status 400..599");
    if (s.kind === "delay" && !(typeof s.delayMs === "number" && s.delayMs >= 0)) bad("delay kind needs delayMs >= 0");
    if (s.rate !== undefined && !(typeof s.rate === "number" && s.rate >= 0 && s.rate <= 1)) bad("rate must be within 0..1");
    if (s.count !== undefined && !(Number.isInteger(s.count) && s.count > 0)) bad("count must be a positive integer");
    const remaining = s.count ?? (s.rate !== undefined ? Number.MAX_SAFE_INTEGER : 1);
    const fault = { ...s, id: ++this.nextId, remaining, hits: 0, rng: s.rate !== undefined ? prng(s.seed ?? 1) : undefined };
    this.faults.push(fault);
    return this.strip(fault);
  }

  list(): Fault[] {
    return this.faults.map((f) => this.strip(f));
  }

  clear(): void {
    this.faults = [];
  }

  /** The first active fault matching this request (consuming one of its count), if any. */
  take(companyId: string, method: string, apiPath: string): Fault | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      if (f.companyId && f.companyId.toLowerCase() !== companyId.toLowerCase()) continue;
      if (f.method && f.method.toUpperCase() !== method.toUpperCase()) continue;
      if (f.path && !apiPath.toLowerCase().includes(f.path.toLowerCase())) continue;
      if (f.rng && f.rng() >= f.rate!) continue;
      f.remaining--;
      f.hits++;
      return this.strip(f);
    }
    return undefined;
  }

  private strip(f: Fault & { rng?: unknown }): Fault {
    const { rng, ...rest } = f;
    void rng;
    return rest;
  }
}

/** Headers and vendor body of a `status` fault (429 carries Retry-After in seconds or as an HTTP date). */
export function statusFaultReply(f: Fault): { status: number; headers: Record<string, string>; body: unknown } {
  const status = f.status ?? 503;
  const headers: Record<string, string> = {};
  if (f.retryAfterSeconds !== undefined) {
    headers["Retry-After"] = f.retryAfterHttpDate
      ? new Date(Date.now() + f.retryAfterSeconds * 1000).toUTCString()
      : String(f.retryAfterSeconds);
  }
  const body = status === 429
    ? { code: "TooManyRequests", message: "Rate limit exceeded, retry later" }
    : status >= 500
      ? { code: "ServiceUnavailable", message: `The service is temporarily unavailable (${status})` }
      : { code: "InjectedFault", message: `Injected fault answering ${status}` };
  return { status, headers, body };
}
