/**
 * Per-command latency histograms for INFO latencystats (latency-tracking), with the
 * resolution of Redis's HDR histograms (2 significant digits): values in ns, exact below
 * 256, then 128 buckets per power of two. Percentiles are read as HDR does: the highest
 * value of the bucket where the running count reaches the percentile (the lowest value
 * recorded for p0).
 */
const EXACT = 256;
const SUB = 128;
const MAX_NS = 1e9;
const BUCKETS = EXACT + (29 - 8 + 1) * SUB;

function bucketOf(ns: number): number {
  const v = Math.min(Math.max(1, Math.round(ns)), MAX_NS);
  if (v < EXACT) return v;
  const e = 31 - Math.clz32(v);
  return EXACT + (e - 8) * SUB + ((v >>> (e - 7)) - SUB);
}

function lowestOf(b: number): number {
  if (b < EXACT) return b;
  const e = 8 + Math.floor((b - EXACT) / SUB);
  return (SUB + ((b - EXACT) % SUB)) * 2 ** (e - 7);
}

function highestOf(b: number): number {
  if (b < EXACT) return b;
  const e = 8 + Math.floor((b - EXACT) / SUB);
  return lowestOf(b) + 2 ** (e - 7) - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private min = Infinity;

  recordUsec(usec: number): void {
    const b = bucketOf(usec * 1000);
    this.counts[b]!++;
    this.total++;
    if (b < this.min) this.min = b;
  }

  /** ns at `percentile` (0..100). */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    if (percentile === 0) return lowestOf(this.min);
    const want = Math.max(1, Math.floor((percentile / 100) * this.total + 0.5));
    let seen = 0;
    for (let b = this.min; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= want) return highestOf(b);
    }
    return highestOf(BUCKETS - 1);
  }
}
