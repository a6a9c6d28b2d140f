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

  calls(): number {
    return this.total;
  }

  /**
   * LATENCY HISTOGRAM's histogram_usec pairs: Redis walks its HDR histogram
   * logarithmically from 1024 ns, doubling, up to the first level that covers the largest
   * value; at each level L it has the calls at or below the highest value of L's bucket,
   * shown (in µs: that highest value / 1000) only where the count grew.
   */
  cdf(): [number, number][] {
    const out: [number, number][] = [];
    if (this.total === 0) return out;
    let cum = 0;
    let prev = 0;
    let b = 0;
    for (let level = 1024; ; level *= 2) {
      const lb = bucketOf(level);
      for (; b <= lb && b < BUCKETS; b++) cum += this.counts[b]!;
      if (cum > prev) out.push([Math.floor(highestOf(lb) / 1000), cum]);
      prev = cum;
      if (cum >= this.total || lb >= BUCKETS - 1) break;
    }
    return out;
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

// ------------------------------------------------------------------------------ the latency monitor

/** Samples kept per event (Redis's LATENCY_TS_LEN). */
const TS_LEN = 160;

interface TimeSeries {
  /** unix seconds per slot (0: empty) */
  times: Float64Array;
  /** ms per slot */
  latencies: Float64Array;
  /** the next slot to write */
  idx: number;
  /** all-time maximum (ms) */
  max: number;
}

/**
 * Latency events (Redis's latency monitor): per event name, a ring of the last 160
 * samples, one per second (the highest of that second), and the all-time maximum. The
 * engine adds "command" / "fast-command" samples for commands at or above
 * latency-monitor-threshold ms, the server "expire-cycle", eviction "eviction-cycle".
 */
export class LatencyMonitor {
  /** insertion order stands for Redis's dict order */
  readonly events = new Map<string, TimeSeries>();

  add(event: string, ms: number, now = Math.floor(Date.now() / 1000)): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = { times: new Float64Array(TS_LEN), latencies: new Float64Array(TS_LEN), idx: 0, max: 0 };
      this.events.set(event, ts);
    }
    if (ms > ts.max) ts.max = ms;
    const prev = (ts.idx + TS_LEN - 1) % TS_LEN;
    if (ts.times[prev] === now) {
      if (ms > ts.latencies[prev]!) ts.latencies[prev] = ms;
      return;
    }
    ts.times[ts.idx] = now;
    ts.latencies[ts.idx] = ms;
    ts.idx = (ts.idx + 1) % TS_LEN;
  }

  /** Drop one event (case-insensitive, as Redis's strcasecmp) or all: how many went. */
  reset(event: string | null): number {
    let n = 0;
    for (const name of [...this.events.keys()]) {
      if (event === null || name.toLowerCase() === event.toLowerCase()) {
        this.events.delete(name);
        n++;
      }
    }
    return n;
  }

  /** Samples oldest first: [unix seconds, ms]. */
  samples(event: string): [number, number][] | null {
    const ts = this.events.get(event);
    if (ts === undefined) return null;
    const out: [number, number][] = [];
    for (let j = 0; j < TS_LEN; j++) {
      const i = (ts.idx + j) % TS_LEN;
      if (ts.times[i] !== 0) out.push([ts.times[i]!, ts.latencies[i]!]);
    }
    return out;
  }

  /** LATENCY LATEST rows: event, time and ms of the last sample, all-time max. */
  latest(): [string, number, number, number][] {
    const out: [string, number, number, number][] = [];
    for (const [name, ts] of this.events) {
      const last = (ts.idx + TS_LEN - 1) % TS_LEN;
      out.push([name, ts.times[last]!, ts.latencies[last]!, ts.max]);
    }
    return out;
  }

  /** Redis's analyzeLatencyForEvent: integer averages as C computes them. */
  private analyze(ts: TimeSeries, now: number): { samples: number; avg: number; mad: number; period: number } {
    let samples = 0;
    let sum = 0;
    let oldest = 0;
    for (let j = 0; j < TS_LEN; j++) {
      if (ts.times[j] === 0) continue;
      samples++;
      sum += ts.latencies[j]!;
      if (oldest === 0 || ts.times[j]! < oldest) oldest = ts.times[j]!;
    }
    if (samples === 0) return { samples, avg: 0, mad: 0, period: 0 };
    const avg = Math.floor(sum / samples);
    let period = now - oldest;
    if (period === 0) period = 1;
    let dev = 0;
    for (let j = 0; j < TS_LEN; j++) if (ts.times[j] !== 0) dev += Math.abs(avg - ts.latencies[j]!);
    return { samples, avg, mad: Math.floor(dev / samples), period };
  }

  /** LATENCY DOCTOR's report (Redis's createLatencyReport, for the events shmkv records). */
  report(opts: { threshold: number; slowlogSlowerThan: number; hz: number; anonHugePages: number }): string {
    if (this.events.size === 0 && opts.threshold === 0) {
      return (
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" " +
        "in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
      );
    }
    const now = Math.floor(Date.now() / 1000);
    let out = '';
    let advices = 0;
    const advise = { slowlogEnabled: false, slowlogTuning: false, slowlogInspect: false, scheduler: false, hz: false, largeObjects: false, massEviction: false, thp: false };
    let n = 0;
    for (const [event, ts] of this.events) {
      n++;
      if (n === 1) out += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
      const ls = this.analyze(ts, now);
      out += `${n}. ${event}: ${ls.samples} latency spikes (average ${ls.avg}ms, mean deviation ${ls.mad}ms, period ${(ls.period / ls.samples).toFixed(2)} sec). Worst all time event ${ts.max}ms.`;
      const e = event.toLowerCase();
      if (e === 'command') {
        if (opts.slowlogSlowerThan < 0) {
          advise.slowlogEnabled = true;
          advices++;
        } else if (Math.trunc(opts.slowlogSlowerThan / 1000) > opts.threshold) {
          advise.slowlogTuning = true;
          advices++;
        }
        advise.slowlogInspect = true;
        advise.largeObjects = true;
        advices += 2;
      }
      if (e === 'fast-command') {
        advise.scheduler = true;
        advices++;
      }
      if (e === 'expire-cycle') {
        advise.hz = true;
        advise.largeObjects = true;
        advices += 2;
      }
      if (e === 'eviction-del') {
        advise.largeObjects = true;
        advices++;
      }
      if (e === 'eviction-cycle') {
        advise.massEviction = true;
        advices++;
      }
      out += '\n';
    }
    if (opts.anonHugePages > 0) {
      advise.thp = true;
      advices++;
    }
    if (n === 0 && advices === 0) {
      return (
        out +
        'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n'
      );
    }
    if (n > 0 && advices === 0) {
      return out + "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
    }
    out += '\nI have a few advices for you:\n\n';
    if (advise.slowlogEnabled) {
      out += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${opts.threshold * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
    }
    if (advise.slowlogTuning) {
      out += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${opts.threshold * 1000}'.\n`;
    }
    if (advise.slowlogInspect) {
      out += '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
    }
    if (advise.scheduler) {
      out +=
        '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
        '  1) Lower the system load.\n' +
        '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
        '  3) Check if you have a "noisy neighbour" problem.\n' +
        "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
        '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n';
    }
    if (advise.hz && opts.hz < 100) {
      out += "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
    }
    if (advise.largeObjects) {
      out +=
        '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
    }
    if (advise.massEviction) {
      out +=
        "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n";
    }
    if (advise.thp) {
      out +=
        "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n";
    }
    return out;
  }

  /** LATENCY GRAPH's text for an event (null: no such event). */
  graph(event: string, now = Math.floor(Date.now() / 1000)): string | null {
    const ts = this.events.get(event);
    if (ts === undefined) return null;
    const seq: { value: number; label: string }[] = [];
    let min = 0;
    let max = 0;
    for (const [time, ms] of this.samples(event)!) {
      if (seq.length === 0) min = max = ms;
      else {
        if (ms > max) max = ms;
        if (ms < min) min = ms;
      }
      const elapsed = now - time;
      const label = elapsed < 60 ? `${elapsed}s` : elapsed < 3600 ? `${Math.trunc(elapsed / 60)}m` : elapsed < 86400 ? `${Math.trunc(elapsed / 3600)}h` : `${Math.trunc(elapsed / 86400)}d`;
      seq.push({ value: ms, label });
    }
    let out = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n`;
    out += '-'.repeat(GRAPH_COLS) + '\n';
    return out + sparkline(seq, GRAPH_COLS, 4);
  }
}

const GRAPH_COLS = 80;

/**
 * A filled sparkline (Redis's sparkline.c with SPARKLINE_FILL): `rows` rows of '_', 'o',
 * '#' and '|' scaled between the lowest and highest value, then each sample's label
 * written vertically under it after one blank row; `columns` samples per block.
 */
function sparkline(seq: { value: number; label: string }[], columns: number, rows: number): string {
  if (seq.length === 0) return '';
  let min = seq[0]!.value;
  let max = seq[0]!.value;
  for (const s of seq) {
    if (s.value < min) min = s.value;
    if (s.value > max) max = s.value;
  }
  const fill = '_o#';
  const steps = fill.length * rows;
  let relmax = max - min;
  if (relmax === 0) relmax = 1;
  let out = '';
  for (let start = 0; start < seq.length; start += columns) {
    if (start !== 0) out += '\n';
    const part = seq.slice(start, start + columns);
    for (let row = 0; ; row++) {
      let more = false;
      const chars: string[] = new Array(part.length).fill(' ');
      for (let j = 0; j < part.length; j++) {
        const s = part[j]!;
        let step = Math.trunc(((s.value - min) * steps) / relmax);
        if (step < 0) step = 0;
        if (step >= steps) step = steps - 1;
        if (row < rows) {
          const charidx = step - (rows - row - 1) * fill.length;
          more = true;
          if (charidx >= 0 && charidx < fill.length) chars[j] = fill[charidx]!;
          else if (charidx >= fill.length) chars[j] = '|';
        } else {
          // one blank row between the graph and the labels (every sample has a label)
          if (row - rows < 1) {
            more = true;
            chars.fill(' ');
            break;
          }
          const k = row - rows - 1;
          if (s.label.length > k) {
            more = true;
            chars[j] = s.label[k]!;
          }
        }
      }
      if (!more) break;
      out += chars.join('') + '\n';
    }
  }
  return out;
}
