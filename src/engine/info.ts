/**
 * INFO, with Redis 7.0's sections, section order and the fields monitoring tools read.
 * Values come from the engine (commands, errors, latency, config), the keyspace (memory,
 * keyspace, and the counters every process shares: hits, misses, expired, evicted,
 * changes), the server when there is one (clients, connections, network) and the process
 * (CPU). shmkv adds a few `shmkv_*` fields to the server and memory sections.
 */

import type { Persistence } from '../persistence/persistence.js';
import { existingTracker } from '../commands/tracking.js';
import { migrateCachedSockets } from '../commands/migrate.js';
import { randomBytes } from '../util/random.js';
import { wallUs } from '../util/wallclock.js';
import os from 'node:os';
import { REDIS_VERSION, SHMKV_VERSION, type Config } from '../config/config.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { C_EVICTED, C_EXPIRED, C_HITS, C_MISSES } from '../keyspace/counters.js';
import type { EngineStats } from '../commands/types.js';
import type { Registry } from './registry.js';
import { hubOf, K_CHANNEL, K_PATTERN, K_SHARD, type SubKind } from '../pubsub/hub.js';

/** Distinct channels / patterns / shard channels subscribed in any process (0 before any pub/sub). */
function pubsubNames(ks: Keyspace, kind: SubKind): number {
  return ks.pubsubArea(false) === null ? 0 : hubOf(ks).names(kind).length;
}

/** What only a server knows (src/server/server.ts provides it). */
export interface ServerInfoSource {
  readonly port: number;
  readonly attachMs: number;
  /** The Clients section's lines. */
  clientLines(): string[];
  totalConnectionsReceived: number;
  rejectedConnections: number;
  totalNetInputBytes: number;
  totalNetOutputBytes: number;
  totalReads: number;
  totalWrites: number;
  instantaneousOps(): number;
  instantaneousKbps(dir: 'in' | 'out'): number;
}

/** Everything INFO reads. */
export interface InfoSource {
  config: Config;
  ks: Keyspace;
  registry: Registry;
  stats: EngineStats;
  startTime: number;
  latencyTracking: boolean;
  /** SAVE/BGSAVE state: INFO persistence's rdb_* fields */
  persistence: Persistence;
  server: ServerInfoSource | null;
}

const SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'commandstats', 'errorstats', 'latencystats', 'cluster', 'keyspace'];
const DEFAULT = new Set(['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace']);

const RUN_ID = randomBytes(20).toString('hex');
let REPL_ID = randomBytes(20).toString('hex');

/** DEBUG CHANGE-REPL-ID: a new replication id (the second one stays cleared: no replication yet). */
export function changeReplicationId(): void {
  REPL_ID = randomBytes(20).toString('hex');
}

/**
 * How this process loaded the server's code: "bundle" with the code cache's fate
 * ("bundle+cache", "bundle+cache-rejected", "bundle" when there was none), set by
 * launch.cts; "modules" when run from the ES modules.
 */
function codeSource(): string {
  const l = (globalThis as { [k: symbol]: unknown })[Symbol.for('shmkv.launch')] as { cache?: string } | undefined;
  if (l === undefined) return 'modules';
  return l.cache === 'accepted' ? 'bundle+cache' : l.cache === 'rejected' ? 'bundle+cache-rejected' : 'bundle';
}

/** Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  if (n < 1024) return `${n}B`;
  let d = n;
  for (let i = 1; i < units.length; i++) {
    d /= 1024;
    if (d < 1024 || i === units.length - 1) return `${d.toFixed(2)}${units[i]}`;
  }
  return `${n}B`;
}

/** Which sections `INFO [section ...]` asks for (lower case names). */
export function infoSections(args: string[]): Set<string> {
  const out = new Set<string>();
  if (args.length === 0) return new Set(DEFAULT);
  for (const a0 of args) {
    const a = a0.toLowerCase();
    if (a === 'default') for (const s of DEFAULT) out.add(s);
    else if (a === 'all' || a === 'everything') for (const s of SECTIONS) out.add(s);
    else out.add(a);
  }
  return out;
}

function machine(): string {
  const a = os.arch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}

export function genInfo(src: InfoSource, args: string[]): string {
  const want = infoSections(args);
  const parts: string[] = [];
  const now = Date.now();
  const cfg = src.config;
  const st = src.stats;
  const ks = src.ks;
  const srv = src.server;
  const counters = ks.counters;
  const uptime = Math.floor((now - src.startTime) / 1000);

  const section = (name: string, title: string, lines: () => string[]): void => {
    if (!want.has(name)) return;
    parts.push(`# ${title}\r\n` + lines().map((l) => l + '\r\n').join(''));
  };

  section('server', 'Server', () => [
    `redis_version:${REDIS_VERSION}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    `redis_build_id:shmkv-${SHMKV_VERSION}`,
    'redis_mode:standalone',
    `os:${os.type()} ${os.release()} ${machine()}`,
    `arch_bits:${process.arch.includes('64') ? 64 : 32}`,
    'monotonic_clock:POSIX clock_gettime',
    'multiplexing_api:epoll',
    'atomicvar_api:c11-builtin',
    'gcc_version:0.0.0',
    `process_id:${process.pid}`,
    'process_supervised:no',
    `run_id:${RUN_ID}`,
    `tcp_port:${srv?.port ?? 0}`,
    `server_time_usec:${wallUs()}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${cfg.num('hz')}`,
    `configured_hz:${cfg.num('hz')}`,
    `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
    `executable:${process.argv[1] ?? ''}`,
    `config_file:${cfg.file ?? ''}`,
    'io_threads_active:0',
    `shmkv_version:${SHMKV_VERSION}`,
    `shmkv_segment:${ks.name}`,
    `shmkv_attach_ms:${(srv?.attachMs ?? 0).toFixed(3)}`,
    `shmkv_role:${srv ? 'server' : 'library'}`,
    `shmkv_code:${codeSource()}`,
    `node_version:${process.version}`,
  ]);

  section('clients', 'Clients', () =>
    srv
      ? srv.clientLines()
      : [
          'connected_clients:0',
          'cluster_connections:0',
          `maxclients:${cfg.num('maxclients')}`,
          'client_recent_max_input_buffer:0',
          'client_recent_max_output_buffer:0',
          'blocked_clients:0',
          `tracking_clients:${existingTracker(ks)?.sessions.size ?? 0}`,
          'clients_in_timeout_table:0',
        ],
  );

  section('memory', 'Memory', () => {
    const m = ks.memoryStats();
    const pm = process.memoryUsage();
    const maxmemory = cfg.num('maxmemory');
    const total = os.totalmem();
    const used = m.usedMemory;
    const peak = Math.max(m.peak, used);
    return [
      `used_memory:${used}`,
      `used_memory_human:${bytesToHuman(used)}`,
      `used_memory_rss:${m.committed}`,
      `used_memory_rss_human:${bytesToHuman(m.committed)}`,
      `used_memory_peak:${peak}`,
      `used_memory_peak_human:${bytesToHuman(peak)}`,
      `used_memory_peak_perc:${peak > 0 ? ((used / peak) * 100).toFixed(2) : '0.00'}%`,
      'used_memory_overhead:0',
      'used_memory_startup:0',
      `used_memory_dataset:${used}`,
      'used_memory_dataset_perc:100.00%',
      `allocator_allocated:${used}`,
      `allocator_active:${m.committed}`,
      `allocator_resident:${m.committed}`,
      `total_system_memory:${total}`,
      `total_system_memory_human:${bytesToHuman(total)}`,
      'used_memory_lua:0',
      'used_memory_vm_eval:0',
      'used_memory_lua_human:0B',
      'used_memory_scripts_eval:0',
      'number_of_cached_scripts:0',
      'number_of_functions:0',
      'number_of_libraries:0',
      'used_memory_vm_functions:0',
      'used_memory_vm_total:0',
      'used_memory_vm_total_human:0B',
      'used_memory_functions:0',
      'used_memory_scripts:0',
      'used_memory_scripts_human:0B',
      `maxmemory:${maxmemory}`,
      `maxmemory_human:${bytesToHuman(maxmemory)}`,
      `maxmemory_policy:${cfg.str('maxmemory-policy')}`,
      // the heap is the allocator: its "active" bytes are the segment's backed bytes, all resident
      `allocator_frag_ratio:${m.fragmentation.toFixed(2)}`,
      `allocator_frag_bytes:${m.committed - used}`,
      'allocator_rss_ratio:1.00',
      'allocator_rss_bytes:0',
      'rss_overhead_ratio:1.00',
      'rss_overhead_bytes:0',
      `mem_fragmentation_ratio:${m.fragmentation.toFixed(2)}`,
      `mem_fragmentation_bytes:${m.committed - used}`,
      `mem_not_counted_for_evict:${ks.fixedBytes}`,
      'mem_replication_backlog:0',
      'mem_total_replication_buffers:0',
      'mem_clients_slaves:0',
      'mem_clients_normal:0',
      'mem_cluster_links:0',
      'mem_aof_buffer:0',
      'mem_allocator:shmkv-heap',
      'active_defrag_running:0',
      `lazyfree_pending_objects:${ks.lazyPending()}`,
      'lazyfreed_objects:0',
      `shmkv_segment_reserved:${m.reserved}`,
      `shmkv_process_rss:${pm.rss}`,
      `shmkv_process_heap_used:${pm.heapUsed}`,
    ];
  });

  section('persistence', 'Persistence', () => [
    'loading:0',
    'async_loading:0',
    ...src.persistence.infoFields(),
    `aof_enabled:${cfg.bool('appendonly') ? 1 : 0}`,
    'aof_rewrite_in_progress:0',
    'aof_rewrite_scheduled:0',
    'aof_last_rewrite_time_sec:-1',
    'aof_current_rewrite_time_sec:-1',
    'aof_last_bgrewrite_status:ok',
    'aof_rewrites:0',
    'aof_rewrites_consecutive_failures:0',
    'aof_last_write_status:ok',
    'aof_last_cow_size:0',
    'module_fork_in_progress:0',
    'module_fork_last_cow_size:0',
  ]);

  section('stats', 'Stats', () => [
    `total_connections_received:${srv?.totalConnectionsReceived ?? 0}`,
    `total_commands_processed:${st.totalCommandsProcessed}`,
    `instantaneous_ops_per_sec:${srv?.instantaneousOps() ?? 0}`,
    `total_net_input_bytes:${srv?.totalNetInputBytes ?? 0}`,
    `total_net_output_bytes:${srv?.totalNetOutputBytes ?? 0}`,
    'total_net_repl_input_bytes:0',
    'total_net_repl_output_bytes:0',
    `instantaneous_input_kbps:${(srv?.instantaneousKbps('in') ?? 0).toFixed(2)}`,
    `instantaneous_output_kbps:${(srv?.instantaneousKbps('out') ?? 0).toFixed(2)}`,
    'instantaneous_input_repl_kbps:0.00',
    'instantaneous_output_repl_kbps:0.00',
    `rejected_connections:${srv?.rejectedConnections ?? 0}`,
    'sync_full:0',
    'sync_partial_ok:0',
    'sync_partial_err:0',
    `expired_keys:${counters.total(C_EXPIRED)}`,
    'expired_stale_perc:0.00',
    'expired_time_cap_reached_count:0',
    'expire_cycle_cpu_milliseconds:0',
    `evicted_keys:${counters.total(C_EVICTED)}`,
    'evicted_clients:0',
    'total_eviction_exceeded_time:0',
    'current_eviction_exceeded_time:0',
    `keyspace_hits:${counters.total(C_HITS)}`,
    `keyspace_misses:${counters.total(C_MISSES)}`,
    // (every process's subscriptions: the segment's registration table)
    `pubsub_channels:${pubsubNames(ks, K_CHANNEL)}`,
    `pubsub_patterns:${pubsubNames(ks, K_PATTERN)}`,
    `pubsubshard_channels:${pubsubNames(ks, K_SHARD)}`,
    'latest_fork_usec:0',
    'total_forks:0',
    `migrate_cached_sockets:${migrateCachedSockets()}`,
    'slave_expires_tracked_keys:0',
    'active_defrag_hits:0',
    'active_defrag_misses:0',
    'active_defrag_key_hits:0',
    'active_defrag_key_misses:0',
    'total_active_defrag_time:0',
    'current_active_defrag_time:0',
    `tracking_total_keys:${existingTracker(ks)?.totalKeys ?? 0}`,
    `tracking_total_items:${existingTracker(ks)?.totalItems ?? 0}`,
    `tracking_total_prefixes:${existingTracker(ks)?.totalPrefixes ?? 0}`,
    'unexpected_error_replies:0',
    `total_error_replies:${st.totalErrorReplies}`,
    'dump_payload_sanitizations:0',
    `total_reads_processed:${srv?.totalReads ?? 0}`,
    `total_writes_processed:${srv?.totalWrites ?? 0}`,
    'io_threaded_reads_processed:0',
    'io_threaded_writes_processed:0',
    'reply_buffer_shrinks:0',
    'reply_buffer_expands:0',
  ]);

  section('replication', 'Replication', () => [
    'role:master',
    'connected_slaves:0',
    'master_failover_state:no-failover',
    `master_replid:${REPL_ID}`,
    'master_replid2:0000000000000000000000000000000000000000',
    'master_repl_offset:0',
    'second_repl_offset:-1',
    'repl_backlog_active:0',
    'repl_backlog_size:1048576',
    'repl_backlog_first_byte_offset:0',
    'repl_backlog_histlen:0',
  ]);

  section('cpu', 'CPU', () => {
    const u = process.cpuUsage();
    const sys = (u.system / 1e6).toFixed(6);
    const user = (u.user / 1e6).toFixed(6);
    return [`used_cpu_sys:${sys}`, `used_cpu_user:${user}`, 'used_cpu_sys_children:0.000000', 'used_cpu_user_children:0.000000', `used_cpu_sys_main_thread:${sys}`, `used_cpu_user_main_thread:${user}`];
  });

  section('modules', 'Modules', () => []);

  section('commandstats', 'Commandstats', () => {
    const out: string[] = [];
    for (const c of src.registry.all()) {
      const s = c.stats;
      if (s.calls === 0 && s.failedCalls === 0 && s.rejectedCalls === 0) continue;
      const usec = Math.round(s.usec);
      out.push(
        `cmdstat_${c.fullName}:calls=${s.calls},usec=${usec},usec_per_call=${(s.calls === 0 ? 0 : usec / s.calls).toFixed(2)},rejected_calls=${s.rejectedCalls},failed_calls=${s.failedCalls}`,
      );
    }
    return out;
  });

  section('errorstats', 'Errorstats', () =>
    [...st.errorStats.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, n]) => `errorstat_${k}:count=${n}`),
  );

  section('latencystats', 'Latencystats', () => {
    const out: string[] = [];
    if (!src.latencyTracking) return out;
    const ps = cfg.str('latency-tracking-info-percentiles').split(' ').filter((x) => x !== '');
    for (const c of src.registry.all()) {
      const h = c.stats.latency;
      if (h === null) continue;
      out.push(`latency_percentiles_usec_${c.fullName}:${ps.map((p) => `p${p}=${(h.valueAt(Number(p)) / 1000).toFixed(3)}`).join(',')}`);
    }
    return out;
  });

  section('cluster', 'Cluster', () => ['cluster_enabled:0']);

  section('keyspace', 'Keyspace', () => {
    const out: string[] = [];
    // under the write lock: other processes may be writing the keyspace
    ks.exec(() => {
      for (let db = 0; db < ks.databases; db++) {
        const keys = ks.dbsize(db);
        if (keys > 0) out.push(`db${db}:keys=${keys},expires=${ks.expiresCount(db)},avg_ttl=0`);
      }
    });
    return out;
  });

  return parts.join('\r\n');
}
