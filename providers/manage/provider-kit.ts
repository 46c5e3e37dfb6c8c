// What every provider in this package shares: credentials from `configure`, input checking
// that names the property and the fix, outputs the host can carry, and the init-failure path.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ManageClient } from "./client/client";
import { ManageConnection, connectionFromSettings } from "./client/connection";

export interface CheckFailure {
  property: string;
  reason: string;
}

/** Where the credentials of a provider instance live after `configure` (never in inputs or state). */
export interface Configured {
  settings?: Record<string, string>;
}

/**
 * What every provider here shares: it takes its credentials from `configure` and checks inputs
 * against its resource's schema (built on each call: a built schema must never be captured).
 */
export abstract class ManageProvider implements Configured {
  settings?: Record<string, string>;

  // Named apart from each module's `inputSchema` function: the serializer would take a same-named
  // call inside the method for the method itself and leave the function out.
  protected abstract schema(): z.ZodType<unknown>;

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    captureSettings(this, req);
  }

  async check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, failures } = checkWith(this.schema(), news);
    return failures.length > 0 ? { failures } : { inputs };
  }
}

/** Copies the `cwmanage:*` stack config a dynamic provider receives in `configure`. */
export function captureSettings(target: Configured, req: pulumi.dynamic.ConfigureRequest): void {
  const settings: Record<string, string> = {};
  for (const name of ["site", "companyId", "publicKey", "privateKey", "clientId", "codebase", "apiVersion", "maxConcurrency", "timeoutMs", "maxAttempts", "retryBaseMs", "retryMaxMs"]) {
    const value = req.config.get(`cwmanage:${name}`);
    if (value !== undefined) settings[`cwmanage:${name}`] = value;
  }
  // Kept off the enumerable surface, so no dump of the provider object ever shows it.
  Object.defineProperty(target, "settings", { value: settings, enumerable: false, writable: true, configurable: true });
}

export function connectionOf(target: Configured): ManageConnection {
  const settings = target.settings ?? {};
  return connectionFromSettings((key) => settings[key]);
}

export function clientOf(target: Configured): ManageClient {
  return new ManageClient(connectionOf(target));
}

/** zod issues as Pulumi check failures: the property path and what would be accepted. */
export function checkWith<T>(schema: z.ZodType<T>, news: unknown): { inputs?: T; failures: CheckFailure[] } {
  const result = schema.safeParse(news);
  if (result.success) return { inputs: result.data, failures: [] };
  const failures = result.error.issues.map((issue) => ({
    property: issue.path.length > 0 ? issue.path.map(String).join(".") : "(inputs)",
    reason: issue.message,
  }));
  return { failures };
}

/** Inputs as the provider sees them, minus the serialized provider the host adds. */
export function withoutProvider<T extends object>(props: T): Omit<T, "__provider"> {
  const { __provider: _ignored, ...rest } = props as T & { __provider?: unknown };
  return rest;
}

/**
 * Outputs the host can turn into a protobuf Struct: no undefined, no BigInt, no secret wrappers
 * (each of those fails *after* the remote change, orphaning the object; reference §5).
 */
export function plainOutputs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? Number(v) : v))) as T;
}

/**
 * An error for a failure after the remote object exists: the host records it in state with this
 * id (ErrorResourceInitFailed), so the next run updates it instead of creating a duplicate.
 */
export function initFailure(message: string, id: string, properties: Record<string, unknown>): Error {
  const err = new Error(message) as Error & { id?: string; properties?: unknown; reasons?: string[] };
  err.id = id;
  err.properties = plainOutputs(properties);
  err.reasons = [message];
  return err;
}

/** A string for an unknown thrown value, without stack traces. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Strict zod object rejecting unknown keys, with `__provider` and `providerVersion` allowed. */
export function strictInputs<S extends z.ZodRawShape>(shape: S) {
  return z
    .object({ ...shape, __provider: z.string().optional(), providerVersion: z.string().optional() })
    .strict();
}
