// The only code that speaks HTTP to ConnectWise Manage. A client is cheap: build one inside
// each provider method (never capture one in a provider; it would not serialize).
import axios, { AxiosInstance, AxiosResponse } from "axios";
import { z } from "zod";
import { DEFAULT_API_VERSION, ManageConnection, siteOrigin, tenantKey } from "./connection";
import { ManageApiError } from "./errors";
import { DEFAULT_RETRY, RetryPolicy, isRetryableStatus, parseRetryAfter, retryDelayMs } from "./retry";
import { pauseTenant, sleep, withTenantSlot } from "./limiter";
import { PAGE_SIZE, parseLinkHeader } from "./pagination";
import { eq } from "./conditions";
import { companyInfoSchema, countSchema, parseResponse } from "./schemas";

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface PatchOperation {
  op: "replace" | "add" | "remove";
  path: string;
  value?: unknown;
}

export interface ListOptions {
  conditions?: string;
  fields?: string[];
  orderBy?: string;
}

interface SendOptions {
  params?: Record<string, string | number>;
  body?: unknown;
  /** Whether sending twice is harmless; a POST is not. */
  idempotent: boolean;
  /** An absolute URL (a Link header's next page) instead of base + path. */
  absoluteUrl?: string;
}

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_TIMEOUT_MS = 30_000;

export class ManageClient {
  private readonly http: AxiosInstance;
  private readonly policy: RetryPolicy;
  private readonly tenant: string;
  private readonly origin: string;
  private readonly configuredBasePath?: string;

  constructor(private readonly conn: ManageConnection) {
    const { origin, basePath } = siteOrigin(conn.site);
    this.origin = origin;
    this.configuredBasePath = basePath;
    this.tenant = tenantKey(conn);
    this.policy = {
      ...DEFAULT_RETRY,
      maxAttempts: conn.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      baseMs: conn.retryBaseMs ?? DEFAULT_RETRY.baseMs,
      maxMs: conn.retryMaxMs ?? DEFAULT_RETRY.maxMs,
    };
    const token = Buffer.from(`${conn.companyId}+${conn.publicKey}:${conn.privateKey}`).toString("base64");
    this.http = axios.create({
      timeout: conn.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRedirects: 0,
      validateStatus: () => true,
      headers: {
        Authorization: `Basic ${token}`,
        clientId: conn.clientId,
        Accept: `application/vnd.connectwise.com+json; version=${conn.apiVersion ?? DEFAULT_API_VERSION}, application/json`,
        "Cache-Control": "no-cache",
      },
    });
  }

  /** Site and company, without any secret: a key for per-tenant caches. */
  get tenantId(): string {
    return this.tenant;
  }

  /** The same tenant, signed with another key pair (to prove what that key can do). */
  as(publicKey: string, privateKey: string): ManageClient {
    return new ManageClient({ ...this.conn, publicKey, privateKey });
  }

  async get<T>(path: string, schema: z.ZodType<T>, params?: Record<string, string | number>): Promise<T> {
    const res = await this.send("GET", path, { params, idempotent: true });
    return parseResponse(schema, res.data, `GET ${path}`);
  }

  /** GET that answers undefined for 404 (the object is gone). */
  async find<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
    try {
      return await this.get(path, schema);
    } catch (e) {
      if (e instanceof ManageApiError && e.isNotFound) return undefined;
      throw e;
    }
  }

  /** Every item of a list, 1000 per page, following Link rel="next" until there is none. */
  async list<T>(path: string, item: z.ZodType<T>, opts: ListOptions = {}): Promise<T[]> {
    const params: Record<string, string | number> = { pageSize: PAGE_SIZE };
    if (opts.conditions) params.conditions = opts.conditions;
    if (opts.fields && opts.fields.length > 0) params.fields = opts.fields.join(",");
    if (opts.orderBy) params.orderBy = opts.orderBy;
    const all: T[] = [];
    let res = await this.send("GET", path, { params, idempotent: true });
    for (let page = 1; ; page++) {
      all.push(...parseResponse(z.array(item), res.data, `GET ${path} (page ${page})`));
      const next = parseLinkHeader(headerOf(res, "link")).next;
      if (!next) return all;
      res = await this.send("GET", path, { idempotent: true, absoluteUrl: next });
    }
  }

  /** The one object whose `field` equals `value` (a natural key), or undefined. */
  async findBy<T>(path: string, item: z.ZodType<T>, field: string, value: string | number): Promise<T | undefined> {
    const found = await this.list(path, item, { conditions: eq(field, value) });
    if (found.length > 1) {
      throw new Error(`${found.length} objects at ${path} have ${field} = ${JSON.stringify(value)}; expected at most one`);
    }
    return found[0];
  }

  async count(path: string, conditions?: string): Promise<number> {
    const res = await this.send("GET", `${path}/count`, { params: conditions ? { conditions } : undefined, idempotent: true });
    return parseResponse(countSchema(), res.data, `GET ${path}/count`).count;
  }

  /**
   * Creates an object. Never re-sent when the outcome is unknown: the error then has
   * `outcomeUnknown` and the caller must look the object up by its natural key first.
   */
  async post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const res = await this.send("POST", path, { body, idempotent: false });
    return parseResponse(schema, res.data, `POST ${path}`);
  }

  /** A POST that is safe to repeat (an action such as deactivate); retried like a read. */
  async action(path: string, body: unknown): Promise<void> {
    await this.send("POST", path, { body, idempotent: true });
  }

  /** PATCH with bare field paths; only the operations given are sent. */
  async patch<T>(path: string, ops: PatchOperation[], schema: z.ZodType<T>): Promise<T> {
    const res = await this.send("PATCH", path, { body: ops, idempotent: true });
    return parseResponse(schema, res.data, `PATCH ${path}`);
  }

  async delete(path: string): Promise<void> {
    await this.send("DELETE", path, { idempotent: true });
  }

  private async baseUrl(): Promise<string> {
    if (this.configuredBasePath) return `${this.origin}${this.configuredBasePath}`;
    const codebase = this.conn.codebase ?? (await this.discoverCodebase());
    return `${this.origin}/${codebase.replace(/^\/+|\/+$/g, "")}/apis/3.0`;
  }

  /**
   * GET /login/companyinfo/{company}, once per site and company per process: the promise is
   * cached, so resources read in parallel share one discovery instead of racing to make their own.
   */
  private discoverCodebase(): Promise<string> {
    const g = globalThis as unknown as { __cwmanageCodebases?: Record<string, Promise<string>> };
    const cache = (g.__cwmanageCodebases ??= {});
    const cached = cache[this.tenant];
    if (cached) return cached;
    const path = `/login/companyinfo/${encodeURIComponent(this.conn.companyId)}`;
    const discovery = this.send("GET", path, { idempotent: true, absoluteUrl: `${this.origin}${path}` })
      .then((res) => parseResponse(companyInfoSchema(), res.data, "GET /login/companyinfo").Codebase);
    // A failed discovery is not remembered: the next request tries again.
    cache[this.tenant] = discovery.catch((e) => {
      delete cache[this.tenant];
      throw e;
    });
    return cache[this.tenant];
  }

  private async send(method: Method, path: string, opts: SendOptions): Promise<AxiosResponse> {
    let url = opts.absoluteUrl;
    if (url !== undefined && new URL(url).origin !== this.origin) {
      throw new Error(`refusing to follow ${method} ${path} to ${new URL(url).origin}: it is not the configured site`);
    }
    url ??= `${await this.baseUrl()}${path}`;
    for (let attempt = 1; ; attempt++) {
      let res: AxiosResponse | undefined;
      let network: string | undefined;
      let neverSent = false;
      let throttledFor: number | undefined;
      try {
        res = await withTenantSlot(this.tenant, this.conn.maxConcurrency ?? DEFAULT_CONCURRENCY, async () => {
          const answer = await this.http.request({ method, url, params: opts.params, data: opts.body });
          // The tenant is paused before this slot is released: a queued request would otherwise go out first.
          if (answer.status === 429) {
            throttledFor = retryDelayMs(this.policy, attempt, parseRetryAfter(headerOf(answer, "retry-after")));
            pauseTenant(this.tenant, Date.now() + throttledFor);
          }
          return answer;
        });
      } catch (e) {
        const err = e as { code?: string; message?: string };
        network = err.code === "ECONNABORTED" || err.code === "ETIMEDOUT" ? `timed out (${err.code})` : (err.code ?? err.message ?? "network error");
        neverSent = err.code === "ECONNREFUSED";
      }
      const retryable = res ? isRetryableStatus(res.status) : true;
      // A POST is repeated only when the tenant certainly did not act on it.
      const safeToRepeat = opts.idempotent || neverSent || res?.status === 429;
      if (res && !retryable) {
        if (res.status >= 200 && res.status < 300) return res;
        throw apiError(method, path, res, attempt, !opts.idempotent && res.status >= 500);
      }
      if (!safeToRepeat || attempt >= this.policy.maxAttempts) {
        if (res) throw apiError(method, path, res, attempt, !opts.idempotent && res.status !== 429);
        throw new ManageApiError({ method, path, network, attempts: attempt, outcomeUnknown: !opts.idempotent && !neverSent });
      }
      const delay = throttledFor ?? retryDelayMs(this.policy, attempt, res ? parseRetryAfter(headerOf(res, "retry-after")) : undefined);
      logRetry(`${method} ${path} ${res ? `answered ${res.status}` : `failed (${network})`}; retry ${attempt + 1}/${this.policy.maxAttempts} in ${(delay / 1000).toFixed(1)}s`);
      await sleep(delay);
    }
  }
}

function apiError(method: string, path: string, res: AxiosResponse, attempts: number, outcomeUnknown = false): ManageApiError {
  const body = (res.data && typeof res.data === "object" ? res.data : {}) as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
  };
  const errors = Array.isArray(body.errors)
    ? body.errors.filter((x): x is Record<string, string> => !!x && typeof x === "object")
        .map((x) => ({ code: str(x.code), message: str(x.message), resource: str(x.resource), field: str(x.field) }))
    : [];
  return new ManageApiError({
    method,
    path,
    status: res.status,
    code: str(body.code),
    vendorMessage: str(body.message),
    errors,
    attempts,
    outcomeUnknown,
  });
}

function str(x: unknown): string | undefined {
  return typeof x === "string" ? x : undefined;
}

function headerOf(res: AxiosResponse, name: string): string | undefined {
  const v = (res.headers as Record<string, unknown>)[name];
  return typeof v === "string" ? v : undefined;
}

function logRetry(line: string): void {
  if (process.env.CWMANAGE_QUIET !== "1") process.stderr.write(`cwmanage: ${line}\n`);
}
