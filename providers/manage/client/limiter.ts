// A per-tenant cap on requests in flight, shared by every resource in the provider host process,
// and a tenant-wide pause after a 429 so the whole tenant slows down instead of hammering it.
// The registry lives on globalThis: providers are serialized by value, and a captured Map would
// not survive serialization (reference/pulumi-dynamic.md §3).

interface TenantGate {
  active: number;
  waiters: Array<() => void>;
  pausedUntil: number;
}

function gates(): Record<string, TenantGate> {
  const g = globalThis as unknown as { __cwmanageGates?: Record<string, TenantGate> };
  if (!g.__cwmanageGates) g.__cwmanageGates = {};
  return g.__cwmanageGates;
}

function gate(key: string): TenantGate {
  const all = gates();
  if (!all[key]) all[key] = { active: 0, waiters: [], pausedUntil: 0 };
  return all[key];
}

/** Runs `task` once fewer than `limit` requests of this tenant are in flight and no pause is on. */
export async function withTenantSlot<T>(key: string, limit: number, task: () => Promise<T>): Promise<T> {
  const g = gate(key);
  while (g.active >= limit) await new Promise<void>((resolve) => g.waiters.push(resolve));
  g.active++;
  try {
    // Re-checked after each wait: a 429 answered meanwhile may have extended the pause.
    for (let wait = g.pausedUntil - Date.now(); wait > 0; wait = g.pausedUntil - Date.now()) await sleep(wait);
    return await task();
  } finally {
    g.active--;
    const next = g.waiters.shift();
    if (next) next();
  }
}

/** Asks every request of this tenant to wait until `until` (epoch ms) before it is sent. */
export function pauseTenant(key: string, until: number): void {
  const g = gate(key);
  if (until > g.pausedUntil) g.pausedUntil = until;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
