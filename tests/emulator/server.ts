// The emulator's HTTP server (node:http): dispatch to companyinfo, the API or the console, with
// per-request latency, fault injection and the request log.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { companyOfAuth, handleApi } from "./api";
import { handleConsole } from "./console";
import { Fault, Faults, statusFaultReply } from "./faults";
import { ApiError, Reply, notFound, readJson } from "./http-util";
import { RequestLog, routeOf } from "./log";
import { paramsOf } from "./query";
import { EmulatorCredentials, Store } from "./store";
import { httpAndHttps, loopbackCertificate } from "./tls";

export type { EmulatorCredentials } from "./store";
export interface RunningEmulator { url: string; port: number; admin: EmulatorCredentials; consoleToken: string; close(): Promise<void> }
export interface EmulatorOptions { port?: number; statePath?: string; latencyMs?: number; companyId?: string }

const API_PREFIX = /^\/(v4_6_release|v\d{4}_\d+)\/apis\/3\.0(\/.*)?$/i;
const COMPANY_INFO = /^\/login\/companyinfo\/([^/]+)\/?$/i;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function send(res: http.ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { "api-current-version": "2025.1", ...(reply.headers ?? {}) };
  if (reply.status === 204 || reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { ...headers, "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) }).end(text);
}

const asReply = (e: unknown): Reply => {
  if (e instanceof ApiError) return e.toReply();
  return { status: 500, body: { code: "InternalServerError", message: e instanceof Error ? e.message : String(e) } };
};

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const store = new Store(opts.statePath);
  const tenant = store.tenant(opts.companyId ?? "sandbox") ?? store.addCompany(opts.companyId ?? "sandbox");
  const admin = store.adminCredentials(tenant);
  store.save();
  const faults = new Faults();
  const log = new RequestLog();
  let latencyMs = opts.latencyMs ?? 0;
  let port = 0;

  async function handleConsoleRequest(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    let reply: Reply;
    try {
      const body = await readJson(req);
      reply = handleConsole({ store, faults, log, setLatency: (ms) => { latencyMs = ms; } }, {
        method: req.method ?? "GET", path: url.pathname, headers: req.headers, body, base: `${url.origin}/v4_6_release/apis/3.0`,
      });
    } catch (e) {
      reply = asReply(e);
    }
    send(res, reply);
  }

  function companyInfo(co: string, host: string): Reply {
    const t = store.tenant(co);
    if (!t) throw notFound(`Company '${co}' was not found`);
    return { status: 200, body: {
      CompanyName: t.companyName, Codebase: "v2025_1/", VersionCode: "v2025.1", VersionNumber: "v2025.1.10000",
      CompanyID: t.companyId, IsCloud: false, SiteUrl: host, AllowAnonymousAccess: false,
    } };
  }

  async function handleApiRequest(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const api = API_PREFIX.exec(url.pathname);
    const info = COMPANY_INFO.exec(url.pathname);
    const companyId = info ? decodeURIComponent(info[1]) : companyOfAuth(req.headers);
    const apiPath = api ? (api[2] ?? "/") : url.pathname;
    const route = info ? "/login/companyinfo/{company}" : routeOf(apiPath);
    // Start and end times let a benchmark find the longest chain of sequential round trips.
    const startedAt = performance.now();
    const record = (status: number, fault?: Fault) =>
      log.record({ companyId, method, route, path: apiPath, status, fault: fault?.kind, startedAt, endedAt: performance.now() });
    log.begin(companyId);
    try {
      if (latencyMs > 0) await sleep(latencyMs);
      const fault = faults.take(companyId, method, apiPath);
      if (fault?.kind === "reset") {
        record(0, fault);
        req.socket.destroy();
        return;
      }
      let reply: Reply;
      try {
        const body = await readJson(req);
        if (fault?.kind === "status") reply = statusFaultReply(fault);
        else if (info) reply = companyInfo(companyId, `127.0.0.1:${port}`);
        else if (!api) throw notFound(`No resource matches ${url.pathname}`);
        else {
          const host = req.headers.host ?? `127.0.0.1:${port}`;
          reply = handleApi({
            store, method, apiPath, url, params: paramsOf(url), headers: req.headers, body,
            base: `${url.protocol}//${host}/${api[1]}/apis/3.0`,
          });
        }
      } catch (e) {
        reply = asReply(e);
      }
      record(reply.status, fault);
      if (fault?.kind === "commitThenDrop") {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === "delay") await sleep(fault.delayMs ?? 0);
      send(res, reply);
    } finally {
      log.end(companyId);
    }
  }

  const server = http.createServer((req, res) => {
    const scheme = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
    const url = new URL(req.url ?? "/", `${scheme}://${req.headers.host ?? `127.0.0.1:${port}`}`);
    const work = /^\/__console(\/|$)/i.test(url.pathname) ? handleConsoleRequest(req, res, url) : handleApiRequest(req, res, url);
    work.catch((e) => {
      if (!res.headersSent && !res.destroyed) send(res, asReply(e));
    });
  });
  // Plain HTTP and HTTPS (self-signed) on one port: `url` is http, https://127.0.0.1:<port> works too.
  const { front, destroyAll } = httpAndHttps(server, await loopbackCertificate());
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (front.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, port, admin, consoleToken: store.consoleToken,
    close: () => new Promise<void>((resolve) => {
      front.close(() => resolve());
      server.closeAllConnections();
      destroyAll();
    }),
  };
}
