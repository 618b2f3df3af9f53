import { Cluster } from 'ioredis';
import { hostPort, type NodeAddress } from '../cluster/address.js';
import type { Spec } from '../spec/index.js';
import { ValueCodec, type CodecStats, type JsonValue } from './codec.js';
import { parseChannel, parseDataType, type Channel } from './ids.js';
import { buildDataKey } from './keys.js';
import { NotProvisioned } from './errors.js';
import { mapRedisError } from './redis-errors.js';
import { groupBySlot } from './slot-groups.js';
import { tenantScope } from './tenant-scope.js';
import { ttlSeconds } from './ttl.js';
import { quotaWriteStrategy } from './quota-strategy.js';
import { plainSet, type WriteScope, type WriteStrategy } from './write-path.js';
import { errorMessage } from '../errors.js';
import { clientMetrics } from '../client-metrics/client-metrics.js';
import { tenantOpError, type TenantOpError, type TenantOpName, type TenantOpSink } from './tenant-op.js';

export interface TenantCacheOptions {
  spec: Spec;
  seeds: readonly NodeAddress[];
  tenant: string;
  module: string;
  channel: string;
  /** The tenant's own ACL user (never the admin): Redis, not this class, enforces isolation. */
  aclUser: string;
  password: string;
  /**
   * The tenant's meta config (`tenant-meta:<id>`: its JSON text, the decoded value, or a TenantMeta), passed by
   * whoever provisioned it: the ACL user cannot read it. Validated here (parseTenantMeta).
   */
  meta: unknown;
  codec?: ValueCodec;
  /**
   * How set() and del() write. Default: the quota scripts (the plan's maxKeys per tenant-module, QuotaExceeded
   * beyond it, nothing written); `plainSet` (SET EX / DEL) under placement `none`, which cannot be enforced.
   */
  writer?: WriteStrategy;
  /**
   * Where every operation is reported (op, tenant, module, plan, channel, seconds, error). Default: the
   * process's client metrics (`clientMetrics()`, src/client-metrics), which the application serves; null: none.
   */
  metrics?: TenantOpSink | null;
  /**
   * ioredis auto-pipelining (concurrent commands to one node share a round trip). Default false: measured on
   * the local cluster (2 busy cores, 6 rounds), it cost 25-55% ops/s for a sequential caller and gained only
   * 6-14% (median, wide spread) at 64 concurrent ops. Turn it on for highly concurrent callers.
   */
  autoPipelining?: boolean;
  connectTimeoutMs?: number;
}

/**
 * A cache client for one (tenant, module, channel). Every key is built inside the tenant-module's prefix
 * and slot; invalid input throws InvalidKey before any command is sent. Values go through ValueCodec.
 * Uses no KEYS, no SCAN: a tenant's ACL user is denied keyless commands.
 */
export class TenantCache {
  readonly scope: WriteScope;
  readonly channel: Channel;
  readonly codec: ValueCodec;
  private readonly spec: Spec;
  private readonly aclUser: string;
  private readonly writer: WriteStrategy;
  private readonly metrics: TenantOpSink | null;
  private readonly plan: string;
  private readonly cluster: Cluster;
  private readonly seeds: string;
  /** Last connection-level error; commands reject on their own, this keeps ioredis from logging "Unhandled error event". */
  lastError: Error | undefined;

  constructor(opts: TenantCacheOptions) {
    this.spec = opts.spec;
    const { scope, meta } = tenantScope(opts.spec, opts.meta, opts.tenant, opts.module);
    this.scope = scope;
    this.channel = parseChannel(opts.channel);
    if (meta.aclUser !== opts.aclUser)
      throw new NotProvisioned(
        `ACL user ${opts.aclUser} is not tenant ${scope.tenant}'s (its meta config names ${meta.aclUser})`,
        'acl-user',
      );
    this.aclUser = opts.aclUser;
    this.codec = opts.codec ?? new ValueCodec();
    // The seed's `none` layout spreads a tenant-module over many slots: no script can count it atomically.
    this.writer = opts.writer ?? (scope.placement.tag === null ? plainSet : quotaWriteStrategy);
    this.metrics = opts.metrics === undefined ? clientMetrics() : opts.metrics;
    this.plan = meta.plan;
    this.cluster = new Cluster(
      opts.seeds.map((s) => ({ host: s.host, port: s.port })),
      {
        lazyConnect: true,
        enableAutoPipelining: opts.autoPipelining ?? false,
        // Bounded: a dead cluster or a refused user fails in seconds, not forever.
        clusterRetryStrategy: (times) => (times > 3 ? null : 200 * times),
        slotsRefreshTimeout: opts.connectTimeoutMs ?? 3000,
        redisOptions: {
          username: opts.aclUser,
          password: opts.password,
          connectTimeout: opts.connectTimeoutMs ?? 3000,
          maxRetriesPerRequest: 2,
          // The per-node ready check sends INFO, which tenants are not granted (acl-rule.ts); the Cluster's own uses CLUSTER INFO.
          enableReadyCheck: false,
          // CLIENT SETNAME on every connection: the server's CLIENT LIST tells whose it is and its channel (the exporter's
          // connections per tenant and channel). Ids, modules and channels hold no space, which SETNAME refuses.
          connectionName: `${scope.tenant}:${scope.module}:${this.channel}`,
          // Not CLIENT SETINFO: Redis 7.0 has no such subcommand (so no ACL can grant it), 7.2+ would log a NOPERM per connection.
          disableClientInfo: true,
        },
      },
    );
    this.seeds = opts.seeds.map(hostPort).join(', ');
    this.cluster.on('error', (err: Error) => {
      this.lastError = err;
    });
  }

  /** Validate, then connect. Prefer this to `new`: a refused ACL user surfaces here, typed. */
  static async open(opts: TenantCacheOptions): Promise<TenantCache> {
    const cache = new TenantCache(opts);
    await cache.connect();
    return cache;
  }

  async connect(): Promise<void> {
    // ioredis reports causes (WRONGPASS, ECONNREFUSED) as events and rejects with a generic message.
    let cause: unknown;
    const onNodeError = (err: unknown) => {
      cause ??= err;
    };
    this.cluster.on('node error', onNodeError);
    try {
      await this.cluster.connect();
    } catch (err) {
      this.cluster.disconnect();
      const why = cause ?? lastNodeErrorOf(err) ?? err;
      const mapped = mapRedisError(why, this.aclUser);
      if (mapped !== why) throw mapped;
      // The cause is the first node error, not ioredis's generic "Connection is closed." it was caught as.
      // eslint-disable-next-line preserve-caught-error -- see above
      throw new Error(`TenantCache: cannot connect to ${this.seeds} as ${this.aclUser}: ${errorMessage(why)}`, { cause: why });
    } finally {
      this.cluster.off('node error', onNodeError);
    }
  }

  /** The full Redis key for (dataType, key); throws InvalidKey for a data type the module lacks or a bad key. */
  key(dataType: string, key: string): string {
    const { tenant, module, placement } = this.scope;
    return buildDataKey(tenant, module, placement, parseDataType(this.spec, module, dataType), key);
  }

  /** The TTL the spec's tier gives this data type on this channel; unknown types throw, never a default. */
  ttlSecondsOf(dataType: string): number {
    return ttlSeconds(this.spec, this.scope.module, parseDataType(this.spec, this.scope.module, dataType), this.channel);
  }

  async get(dataType: string, key: string): Promise<JsonValue | undefined> {
    const k = this.key(dataType, key);
    const raw = await this.run('get', () => this.cluster.getBuffer(k));
    return raw === null ? undefined : this.codec.decode(raw);
  }

  /** Write with the tier's TTL. Everything is validated and encoded before the writer sends anything. */
  async set(dataType: string, key: string, value: JsonValue): Promise<void> {
    const write = { key: this.key(dataType, key), payload: this.codec.encode(value), ttlSeconds: this.ttlSecondsOf(dataType) };
    await this.run('set', () => this.writer.write(this.cluster, this.scope, write));
  }

  /** Values in `keys` order; `undefined` where a key is missing. One MGET per slot (one in tagged layouts). */
  async mget(dataType: string, keys: readonly string[]): Promise<Array<JsonValue | undefined>> {
    const full = keys.map((k) => this.key(dataType, k));
    const out = new Array<JsonValue | undefined>(full.length).fill(undefined);
    await Promise.all(
      [...groupBySlot(full)].map(async ([, idx]) => {
        const vals = await this.run('mget', () => this.cluster.mgetBuffer(...idx.map((i) => full[i] as string)));
        idx.forEach((i, j) => {
          const v = vals[j];
          if (v) out[i] = this.codec.decode(v);
        });
      }),
    );
    return out;
  }

  /** Remove keys; returns how many existed. One DEL per slot. */
  async del(dataType: string, keys: string | readonly string[]): Promise<number> {
    const full = (typeof keys === 'string' ? [keys] : keys).map((k) => this.key(dataType, k));
    const counts = await Promise.all(
      [...groupBySlot(full)].map(([, idx]) => {
        const group = idx.map((i) => full[i] as string);
        return this.run('del', () => (this.writer.del ? this.writer.del(this.cluster, this.scope, group) : this.cluster.del(...group)));
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Remaining lifetime in ms (PTTL): -2 when the key does not exist, -1 when it has no TTL (never for our writes). */
  async ttl(dataType: string, key: string): Promise<number> {
    const k = this.key(dataType, key);
    return this.run('ttl', () => this.cluster.pttl(k));
  }

  codecStats(): CodecStats {
    return this.codec.stats();
  }

  async close(): Promise<void> {
    try {
      await this.cluster.quit();
    } catch {
      this.cluster.disconnect();
    }
  }

  private async run<T>(name: TenantOpName, op: () => Promise<T>): Promise<T> {
    const metrics = this.metrics;
    if (metrics === null) {
      try {
        return await op();
      } catch (err) {
        throw mapRedisError(err, this.aclUser);
      }
    }
    const t0 = performance.now();
    let error: TenantOpError | null = null;
    try {
      return await op();
    } catch (err) {
      const mapped = mapRedisError(err, this.aclUser);
      error = tenantOpError(mapped);
      throw mapped;
    } finally {
      const { tenant, module } = this.scope;
      metrics.observe({
        op: name,
        tenant,
        module,
        plan: this.plan,
        channel: this.channel,
        seconds: (performance.now() - t0) / 1000,
        error,
      });
    }
  }
}

/** ioredis wraps per-node failures ("Failed to refresh slots cache") with the node's error in `lastNodeError`. */
function lastNodeErrorOf(err: unknown): unknown {
  return err instanceof Error && 'lastNodeError' in err && err.lastNodeError instanceof Error ? err.lastNodeError : undefined;
}
