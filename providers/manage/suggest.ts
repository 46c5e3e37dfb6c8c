// "Did you mean" for names a person typed: the closest known labels by edit distance.

export function normalizeLabel(s: string): string {
  return s.toLowerCase().replace(/&/g, "and").replace(/[^a-z0-9]+/g, " ").trim();
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Up to three known names close to `wanted`, best first. */
export function closest(wanted: string, known: string[], max = 3): string[] {
  const w = normalizeLabel(wanted);
  return known
    .map((k) => ({ k, d: distance(w, normalizeLabel(k)), sub: normalizeLabel(k).includes(w) || w.includes(normalizeLabel(k)) }))
    .filter((x) => x.sub || x.d <= Math.max(2, Math.floor(w.length / 3)))
    .sort((a, b) => Number(b.sub) - Number(a.sub) || a.d - b.d)
    .slice(0, max)
    .map((x) => x.k);
}

export function didYouMean(wanted: string, known: string[]): string {
  const near = closest(wanted, known);
  return near.length > 0 ? `did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : `known: ${known.slice(0, 12).map((n) => `"${n}"`).join(", ")}${known.length > 12 ? ", …" : ""}`;
}
