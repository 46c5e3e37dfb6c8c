// Vendor error bodies, replies and JSON body reading shared by the API and console routes.
import type { IncomingMessage } from "node:http";

export interface ValidationError { code: string; message: string; resource: string; field: string }

export interface Reply { status: number; headers?: Record<string, string>; body?: unknown }

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: ValidationError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toReply(): Reply {
    const body: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.errors.length) body.errors = this.errors;
    return { status: this.status, headers: this.headers, body };
  }
}

/** 400 InvalidObject "`resource` object is invalid" carrying field errors. */
export function invalid(resource: string, errors: ValidationError[]): ApiError {
  return new ApiError(400, "InvalidObject", `${resource} object is invalid`, errors);
}

export function fieldError(resource: string, field: string, code: string, message: string): ApiError {
  return invalid(resource, [{ code, message, resource, field }]);
}

export const notFound = (what = "The requested resource was not found") => new ApiError(404, "NotFound", what);

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "InvalidObject", "The request body is not valid JSON");
  }
}

/** Removes null/undefined properties (recursively through plain objects), as the real API omits them. */
export function clean<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = clean(v);
    return out as T;
  }
  return value;
}

export const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

export function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}
