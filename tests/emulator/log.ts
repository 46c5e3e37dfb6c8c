// Request log for tests and benchmarks: counts per route, in-flight high-water marks per company.
export interface LogEntry {
  seq: number; companyId: string; method: string; route: string; path: string; status: number; fault?: string;
  /** performance.now() in the emulator when the request arrived and when its answer was decided. */
  startedAt: number; endedAt: number;
}

/** `/system/securityroles/12/settings` -> `/system/securityroles/{id}/settings`. */
export function routeOf(apiPath: string): string {
  return apiPath.replace(/\/+$/, "").split("/").map((s) => (/^\d+$/.test(s) ? "{id}" : s)).join("/") || "/";
}

export class RequestLog {
  private seq = 0;
  private entries: LogEntry[] = [];
  private byRoute: Record<string, number> = {};
  private inFlight = new Map<string, number>();
  private maxInFlight: Record<string, number> = {};

  begin(companyId: string): void {
    const n = (this.inFlight.get(companyId) ?? 0) + 1;
    this.inFlight.set(companyId, n);
    this.maxInFlight[companyId] = Math.max(this.maxInFlight[companyId] ?? 0, n);
  }

  end(companyId: string): void {
    this.inFlight.set(companyId, Math.max(0, (this.inFlight.get(companyId) ?? 1) - 1));
  }

  record(e: Omit<LogEntry, "seq">): void {
    const key = `${e.method} ${e.route}`;
    this.byRoute[key] = (this.byRoute[key] ?? 0) + 1;
    this.entries.push({ seq: ++this.seq, ...e });
  }

  reset(): void {
    this.entries = [];
    this.byRoute = {};
    this.maxInFlight = {};
    for (const [co, n] of this.inFlight) if (n > 0) this.maxInFlight[co] = n;
  }

  snapshot() {
    return { total: this.entries.length, byRoute: { ...this.byRoute }, maxInFlight: { ...this.maxInFlight }, entries: [...this.entries] };
  }
}
