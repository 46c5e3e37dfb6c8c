// Typed helper for tests: calls the emulator's admin console over HTTP with the global fetch.
import type { EmulatorCredentials } from "./store";
import type { FaultSpec, Fault } from "./faults";
import type { LogEntry } from "./log";

export interface LevelChange { module: string; function: string; add?: string; edit?: string; delete?: string; inquire?: string }
export interface ConsoleKey { publicKey: string; privateKey: string; description: string; memberIdentifier: string }
export interface ConsoleLog { total: number; byRoute: Record<string, number>; maxInFlight: Record<string, number>; entries: LogEntry[] }
export type { FaultSpec, Fault };

export class ConsoleError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`console request failed with ${status}: ${JSON.stringify(body)}`);
  }
}

export class EmulatorConsole {
  constructor(private readonly url: string, private readonly token: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url.replace(/\/+$/, "")}/__console${path}`, {
      method,
      headers: { "x-console-token": this.token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new ConsoleError(res.status, parsed);
    return parsed as T;
  }

  private co(companyId: string): string {
    return `/companies/${encodeURIComponent(companyId)}`;
  }

  addCompany(companyId?: string): Promise<EmulatorCredentials> { return this.call("POST", "/companies", companyId ? { companyId } : {}); }
  dump(co: string): Promise<Record<string, unknown>> { return this.call("GET", `${this.co(co)}/dump`); }
  setLevels(co: string, roleId: number, changes: LevelChange[]): Promise<{ updated: number }> {
    return this.call("PUT", `${this.co(co)}/roles/${roleId}/levels`, { changes });
  }
  setCustomize(co: string, roleId: number, module: string, fn: string, items: string[]): Promise<{ items: number }> {
    return this.call("PUT", `${this.co(co)}/roles/${roleId}/customize`, { module, function: fn, items });
  }
  createRole(co: string, name: string): Promise<{ id: number; name: string }> { return this.call("POST", `${this.co(co)}/roles`, { name }); }
  deleteRole(co: string, id: number): Promise<void> { return this.call("DELETE", `${this.co(co)}/roles/${id}`); }
  patchMember(co: string, id: number, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.call("PATCH", `${this.co(co)}/members/${id}`, fields);
  }
  deleteMember(co: string, id: number): Promise<void> { return this.call("DELETE", `${this.co(co)}/members/${id}`); }
  createKey(co: string, identifier: string, description: string): Promise<ConsoleKey> {
    return this.call("POST", `${this.co(co)}/members/${encodeURIComponent(identifier)}/keys`, { description });
  }
  listKeys(co: string, identifier: string): Promise<Array<Omit<ConsoleKey, "privateKey"> & { createdAt: string }>> {
    return this.call("GET", `${this.co(co)}/members/${encodeURIComponent(identifier)}/keys`);
  }
  revokeKey(co: string, publicKey: string): Promise<void> { return this.call("DELETE", `${this.co(co)}/keys/${encodeURIComponent(publicKey)}`); }
  addFault(spec: FaultSpec): Promise<{ id: number }> { return this.call("POST", "/faults", spec); }
  listFaults(): Promise<Fault[]> { return this.call("GET", "/faults"); }
  clearFaults(): Promise<void> { return this.call("DELETE", "/faults"); }
  setLatency(ms: number): Promise<{ ms: number }> { return this.call("PUT", "/latency", { ms }); }
  log(): Promise<ConsoleLog> { return this.call("GET", "/log"); }
  resetLog(): Promise<void> { return this.call("DELETE", "/log"); }
}
