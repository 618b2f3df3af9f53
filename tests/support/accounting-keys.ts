import type { Redis } from 'ioredis';
import { closeNode, connectNode, discoverNodes, rangesContain, type ClusterNodeInfo } from '../../src/cluster/index.js';
import { parsePlan } from '../../src/provision/index.js';
import {
  buildDataKey,
  limitsKeyOf,
  quotaLimitsFromSpec,
  writeQuotaLimits,
  buildTenantMeta,
  metaKey,
  parseDataType,
  parseModule,
  parseTenantId,
  placeTenantModule,
  type TenantId,
} from '../../src/tenancy/index.js';
import { closeQuotaCluster, openQuotaCluster } from '../../src/tenancy/quota-cluster.js';
import { quotaKeysFor, quotaSet } from '../../src/tenancy/quota-script.js';
import type { TestCluster } from './cluster.js';

/**
 * A keyspace for usage accounting, shared by tests/integration/metrics-accounting.test.ts (small) and
 * scripts/bench/accounting.bench.ts (1M keys): `tenants` tenants of plan pro × these 5 modules ×
 * `keysPerTenantModule` data keys (values of 16-200 bytes), written with pipelines straight to the
 * master of each tenant-module's slot; plus one meta per tenant, QUOTA_KEYS keys in acct000/financeiro
 * written through the quota script (two more keys: its zset and its limits key, `tenant-limits:...`, which
 * accounting counts with the keys outside the layout), and FOREIGN_KEYS keys outside the layout.
 */
export const ACCOUNTING_MODULES = ['crm', 'whatsapp', 'agendamento', 'marketing', 'analytics'];
export const QUOTA_KEYS = 100;
export const FOREIGN_KEYS = 10;
/** The quota tenant-module's limits key: admin bookkeeping outside `cliente:`, so accounted as an other key. */
export const LIMITS_KEYS = 1;
const PIPELINE = 5000;

export interface AccountingShape {
  tenants: number;
  keysPerTenantModule: number;
  /** Populating longer than this throws. */
  budgetMs: number;
}

export interface AccountingKeyspace {
  /** Data keys of the bulk tenant-modules. */
  readonly dataKeys: number;
  /** Every key written: data keys, metas, quota keys and their zset, foreign keys. */
  readonly totalKeys: number;
  /** Write the keyspace; resolves to the milliseconds the pipelined data writes took. */
  populate(): Promise<number>;
  /** DBSIZE of each master. */
  dbsizes(): Promise<number[]>;
  /** The exact MEMORY USAGE sum of one bulk tenant-module, key by key. */
  exactBytes(tenant: string, module: string): Promise<number>;
  /** Wait (bounded) until no master forks for BGSAVE or an AOF rewrite, so a timing measures the scan. */
  quiesce(): Promise<void>;
  close(): Promise<void>;
}

export const accountingTenant = (t: number): TenantId => parseTenantId(`acct${String(t).padStart(3, '0')}`);

/** Deterministic value lengths 16..200 so the byte estimate has something to estimate. */
const value = (i: number) => 'v'.repeat(16 + ((i * 7919) % 185));

export async function openAccountingKeyspace(c: TestCluster, shape: AccountingShape): Promise<AccountingKeyspace> {
  const infos = (await discoverNodes(c.target)).filter((n) => n.role === 'master');
  const masters: Array<{ info: ClusterNodeInfo; client: Redis }> = await Promise.all(
    infos.map(async (info) => ({ info, client: await connectNode({ host: '127.0.0.1', port: info.port }, { password: c.run.password }) })),
  );
  const masterOf = (slot: number | null): Redis => {
    const m = masters.find((x) => slot !== null && rangesContain(x.info.slots, slot));
    if (!m) throw new Error(`no master for slot ${slot}`);
    return m.client;
  };
  /** The data key of item i of a bulk tenant-module (the module's first data type). */
  const keyOf = (tenant: TenantId, rawModule: string) => {
    const module = parseModule(c.spec, rawModule);
    const placement = placeTenantModule(c.spec, tenant, module);
    const dt = parseDataType(c.spec, module, Object.keys(c.spec.modules[rawModule]?.dataTypes ?? {})[0] ?? 'sync');
    return { client: masterOf(placement.slot), key: (i: number) => buildDataKey(tenant, module, placement, dt, `item-${i}`) };
  };
  const dataKeys = shape.tenants * ACCOUNTING_MODULES.length * shape.keysPerTenantModule;

  return {
    dataKeys,
    totalKeys: dataKeys + shape.tenants + QUOTA_KEYS + 1 + LIMITS_KEYS + FOREIGN_KEYS,

    async populate() {
      const t0 = Date.now();
      const perMaster = new Map<Redis, Array<(i: number) => string>>();
      for (let t = 0; t < shape.tenants; t++) {
        for (const raw of ACCOUNTING_MODULES) {
          const { client, key } = keyOf(accountingTenant(t), raw);
          perMaster.set(client, [...(perMaster.get(client) ?? []), key]);
        }
      }
      await Promise.all(
        [...perMaster].map(async ([client, keys]) => {
          for (const key of keys) {
            for (let off = 0; off < shape.keysPerTenantModule; off += PIPELINE) {
              if (Date.now() - t0 > shape.budgetMs) throw new Error(`populating took over ${shape.budgetMs} ms`);
              const p = client.pipeline();
              for (let i = off; i < Math.min(off + PIPELINE, shape.keysPerTenantModule); i++) p.set(key(i), value(i), 'EX', 3600);
              const failed = ((await p.exec()) ?? []).filter(([err]) => err);
              if (failed.length) throw new Error(`${failed.length} writes failed: ${String(failed[0]?.[0])}`);
            }
          }
        }),
      );
      const populateMs = Date.now() - t0;
      const admin = await openQuotaCluster({ seeds: c.target.seeds, password: c.run.password });
      try {
        for (let t = 0; t < shape.tenants; t++) {
          const tenant = accountingTenant(t);
          await admin.set(metaKey(tenant), JSON.stringify(buildTenantMeta(c.spec, tenant, parsePlan(c.spec, 'pro'), 'mobile', new Date())));
        }
        const qt = accountingTenant(0);
        const fin = parseModule(c.spec, 'financeiro');
        const qp = placeTenantModule(c.spec, qt, fin);
        await writeQuotaLimits(admin, limitsKeyOf(qt, fin, qp), quotaLimitsFromSpec(c.spec, fin, 1000));
        for (let i = 0; i < QUOTA_KEYS; i++)
          await quotaSet(
            admin,
            quotaKeysFor(qt, fin, qp, buildDataKey(qt, fin, qp, parseDataType(c.spec, fin, 'invoices'), `q${i}`)),
            'x',
            600,
          );
        for (let i = 0; i < FOREIGN_KEYS; i++) await admin.set(`bench:foreign:${i}`, 'x', 'EX', 600);
      } finally {
        await closeQuotaCluster(admin);
      }
      return populateMs;
    },

    dbsizes: () => Promise.all(masters.map((m) => m.client.dbsize())),

    async exactBytes(tenant, module) {
      const { client, key } = keyOf(parseTenantId(tenant), module);
      const p = client.pipeline();
      for (let i = 0; i < shape.keysPerTenantModule; i++) p.call('MEMORY', 'USAGE', key(i));
      return ((await p.exec()) ?? []).reduce((a, [, v]) => a + Number(v), 0);
    },

    async quiesce() {
      const end = Date.now() + 60_000;
      while (Date.now() < end) {
        const busy = await Promise.all(
          masters.map(async (m) => /(rdb_bgsave_in_progress|aof_rewrite_in_progress):1/.test(await m.client.info('persistence'))),
        );
        if (!busy.includes(true)) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    },

    close: async () => {
      await Promise.all(masters.map((m) => closeNode(m.client)));
    },
  };
}
