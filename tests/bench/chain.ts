// The longest chain of sequential round trips in a request log: requests that overlap in time
// ran in parallel; one that started after another ended had to wait for it (or could have).

export interface TimedRequest {
  startedAt: number;
  endedAt: number;
}

/** Length of the longest sequence r1, r2, … where each starts after the previous one ended. */
export function longestChain(requests: TimedRequest[], toleranceMs = 0.5): number {
  const sorted = [...requests].sort((a, b) => a.startedAt - b.startedAt);
  const depth: number[] = [];
  let best = 0;
  for (let i = 0; i < sorted.length; i++) {
    let d = 1;
    for (let j = 0; j < i; j++) {
      if (sorted[j].endedAt <= sorted[i].startedAt + toleranceMs) d = Math.max(d, depth[j] + 1);
    }
    depth.push(d);
    best = Math.max(best, d);
  }
  return best;
}
