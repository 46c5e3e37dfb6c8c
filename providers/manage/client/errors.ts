// One error type for everything the tenant answers or fails to answer, with a sentence a person
// can act on. It never carries headers, credentials or the request body.

export interface VendorFieldError {
  code?: string;
  message?: string;
  resource?: string;
  field?: string;
}

export interface ManageApiErrorInit {
  method: string;
  path: string;
  status?: number;
  code?: string;
  vendorMessage?: string;
  errors?: VendorFieldError[];
  network?: string;
  attempts?: number;
  /** A write whose outcome nobody knows (the connection broke after it was sent). */
  outcomeUnknown?: boolean;
}

export class ManageApiError extends Error {
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly code?: string;
  readonly vendorMessage?: string;
  readonly errors: VendorFieldError[];
  readonly network?: string;
  readonly attempts: number;
  readonly outcomeUnknown: boolean;

  constructor(init: ManageApiErrorInit) {
    const message = describe(init);
    super(message);
    // Pulumi serializes this class into a function that runs `Error.call(this, message)`, which never
    // sets the message: without this line every error reached the user empty through the provider host.
    this.message = message;
    this.name = "ManageApiError";
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.code = init.code;
    this.vendorMessage = init.vendorMessage;
    this.errors = init.errors ?? [];
    this.network = init.network;
    this.attempts = init.attempts ?? 1;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  /** The vendor's duplicate signal: 400 InvalidObject with errors[].code ObjectExists. */
  get isObjectExists(): boolean {
    return this.errors.some((e) => e.code === "ObjectExists");
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

/** Which Manage security function a call needs, for 403 sentences (the API itself does not say). */
export function permissionNeeded(method: string, path: string): string {
  const p = path.toLowerCase();
  const level = method === "GET" ? "Inquire" : method === "POST" ? "Add" : method === "DELETE" ? "Delete" : "Edit";
  let fn = "the function behind this endpoint";
  if (p.includes("/system/securityroles")) fn = "System › Security Roles";
  else if (p.includes("/system/members") || p.includes("/system/apimembers")) fn = "System › Member Maintenance";
  else if (/\/system\/(departments|locations|timezonesetups|mycompany|setupscreens)/.test(p)) fn = "System › Table Setup";
  return `${fn} (${level})`;
}

function describe(e: ManageApiErrorInit): string {
  const where = `${e.method} ${e.path}`;
  const tries = e.attempts && e.attempts > 1 ? ` after ${e.attempts} attempts` : "";
  const vendor = vendorDetail(e);
  if (e.network !== undefined) {
    const unknown = e.outcomeUnknown ? "; the write may or may not have been applied" : "";
    return `ConnectWise Manage did not answer ${where}${tries}: ${e.network}${unknown}`;
  }
  switch (e.status) {
    case 401:
      return `ConnectWise Manage rejected the credentials for ${where} (401${vendor}): check the company id and the public/private key pair, and that the key's member is active`;
    case 403:
      return `the member of these keys lacks ${permissionNeeded(e.method, e.path)} (403 on ${where}${vendor}): grant it on that member's security role`;
    case 404:
      return `${where} was not found (404${vendor}): the object does not exist (deleted, or a wrong id); on ConnectWise cloud a wrong site or company id can also answer 404`;
    case 405:
      return `ConnectWise Manage does not allow ${where} (405): the public API has no such operation`;
    case 429:
      return `ConnectWise Manage kept rate-limiting ${where}${tries} (429${vendor}): try again later or lower cwmanage:maxConcurrency`;
  }
  if (e.status !== undefined && e.errors && e.errors.some((x) => x.code === "ObjectExists")) {
    return `ConnectWise Manage refused ${where}: already exists (${fieldList(e.errors)})`;
  }
  if (e.status === 400) {
    const fields = e.errors && e.errors.length > 0 ? `: ${fieldList(e.errors)}` : "";
    return `ConnectWise Manage refused ${where} (400 ${e.code ?? ""}${e.vendorMessage ? ` "${e.vendorMessage}"` : ""})${fields}`;
  }
  if (e.status !== undefined && e.status >= 500) {
    return `ConnectWise Manage failed on ${where} with ${e.status}${tries}${vendor}; it is a server-side error, try again later`;
  }
  return `ConnectWise Manage answered ${e.status ?? "nothing"} to ${where}${vendor}`;
}

function vendorDetail(e: ManageApiErrorInit): string {
  const parts = [e.code, e.vendorMessage].filter((x): x is string => typeof x === "string" && x.length > 0);
  return parts.length > 0 ? `, ${parts.join(": ")}` : "";
}

function fieldList(errors: VendorFieldError[]): string {
  return errors
    .map((x) => `${x.field ? `${x.field}: ` : ""}${x.message ?? x.code ?? "invalid"}`)
    .join("; ");
}
