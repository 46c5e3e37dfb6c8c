// Shared helpers for the emulator's own tests: a signed API caller.
import type { EmulatorCredentials } from "./store";

export const BASE = "/v4_6_release/apis/3.0";

export interface ApiResponse<T = any> { status: number; headers: Headers; body: T }

export function basic(c: Pick<EmulatorCredentials, "companyId" | "publicKey" | "privateKey">): string {
  return `Basic ${Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`).toString("base64")}`;
}

/** Calls the API as `creds`; `path` is relative to /v4_6_release/apis/3.0 unless it starts with "http" or "/login". */
export async function call<T = any>(
  url: string, creds: EmulatorCredentials, method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const full = path.startsWith("http") ? path : path.startsWith("/login") ? url + path : `${url}${BASE}${path}`;
  const res = await fetch(full, {
    method,
    headers: {
      authorization: basic(creds), clientId: creds.clientId, accept: "application/vnd.connectwise.com+json; version=2025.1",
      ...(body === undefined ? {} : { "content-type": "application/json" }), ...extraHeaders,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Parses an RFC 5988 Link header into rel -> URL. */
export function links(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(",")) {
    const m = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part.trim());
    if (m) out[m[2]] = m[1];
  }
  return out;
}
