// Where and as whom the client speaks: settings from `configure` (stack config `cwmanage:*`)
// or CWMANAGE_* environment variables, validated once, never logged.

export interface ManageConnection {
  /** Host name (https assumed) or a full URL; plain http only to loopback. */
  site: string;
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
  /** e.g. "v2025_1"; discovered through /login/companyinfo when absent. */
  codebase?: string;
  /** Pins the model version through the Accept header. */
  apiVersion?: string;
  /** Per-tenant cap on requests in flight at once. */
  maxConcurrency?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Retry budget for reads and idempotent writes. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export const DEFAULT_API_VERSION = "2025.1";

/** The settings a provider reads, in the order: environment override, then stack config. */
export const SETTINGS = [
  ["site", "CWMANAGE_SITE"],
  ["companyId", "CWMANAGE_COMPANY_ID"],
  ["publicKey", "CWMANAGE_PUBLIC_KEY"],
  ["privateKey", "CWMANAGE_PRIVATE_KEY"],
  ["clientId", "CWMANAGE_CLIENT_ID"],
  ["codebase", "CWMANAGE_CODEBASE"],
  ["apiVersion", "CWMANAGE_API_VERSION"],
  ["maxConcurrency", "CWMANAGE_MAX_CONCURRENCY"],
  ["timeoutMs", "CWMANAGE_TIMEOUT_MS"],
  ["maxAttempts", "CWMANAGE_MAX_ATTEMPTS"],
  ["retryBaseMs", "CWMANAGE_RETRY_BASE_MS"],
  ["retryMaxMs", "CWMANAGE_RETRY_MAX_MS"],
] as const;

const REQUIRED = ["site", "companyId", "publicKey", "privateKey", "clientId"] as const;
// Plain arrays, not Sets: module constants are serialized by value into the provider text,
// and a captured Set fails at run time in the host (reference/pulumi-dynamic.md §3).
const NUMERIC: readonly string[] = ["maxConcurrency", "timeoutMs", "maxAttempts", "retryBaseMs", "retryMaxMs"];

/**
 * Builds a connection from a config reader (`cwmanage:<name>`) and the environment.
 * Throws one error listing every missing or malformed setting and how to set it.
 */
export function connectionFromSettings(
  readConfig: (key: string) => string | undefined,
  env: Record<string, string | undefined> = process.env,
): ManageConnection {
  const values: Record<string, string | number> = {};
  const problems: string[] = [];
  for (const [name, envName] of SETTINGS) {
    const raw = env[envName] ?? readConfig(`cwmanage:${name}`);
    if (raw === undefined || raw === "") continue;
    if (NUMERIC.includes(name)) {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) problems.push(`cwmanage:${name} must be a positive whole number, got "${raw}"`);
      else values[name] = n;
    } else values[name] = raw.trim();
  }
  for (const name of REQUIRED) {
    if (values[name] === undefined) {
      const secret = name === "privateKey" ? " --secret" : "";
      const envName = SETTINGS.find(([n]) => n === name)![1];
      problems.push(`cwmanage:${name} is not set: run \`pulumi config set${secret} cwmanage:${name} <value>\` or set ${envName}`);
    }
  }
  if (values.site !== undefined) {
    try {
      siteOrigin(String(values.site));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`ConnectWise Manage connection settings are incomplete:\n- ${problems.join("\n- ")}`);
  return values as unknown as ManageConnection;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The origin (scheme://host[:port]) and an optional API base path given in `site`.
 * A bare host means https. Plain http is refused except to loopback, so keys never cross a network unencrypted.
 */
export function siteOrigin(site: string): { origin: string; basePath?: string } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(site) ? site : `https://${site}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`cwmanage:site "${site}" is neither a host name (e.g. api-na.myconnectwise.net) nor a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`cwmanage:site "${site}" must use https (got ${url.protocol.replace(":", "")})`);
  }
  if (url.protocol === "http:" && !LOOPBACK.test(url.hostname)) {
    throw new Error(`cwmanage:site "${site}" uses plain http to a non-loopback host; use https so keys are never sent unencrypted`);
  }
  if (url.username || url.password) throw new Error(`cwmanage:site must not carry credentials; use cwmanage:publicKey/privateKey`);
  const path = url.pathname.replace(/\/+$/, "");
  const basePath = /\/apis\/3\.0$/i.test(path) ? path : undefined;
  return { origin: url.origin, basePath };
}

/** A stable key for per-tenant limits and caches; carries no secret. */
export function tenantKey(conn: Pick<ManageConnection, "site" | "companyId">): string {
  return `${siteOrigin(conn.site).origin}|${conn.companyId.toLowerCase()}`;
}
