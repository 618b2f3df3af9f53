import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { composeConf, renderCompose } from '../../src/cluster/compose.js';
import { renderRedisConf } from '../../src/cluster/render-conf.js';
import { clusterLayout, loadSpec } from '../../src/spec/index.js';

interface Service {
  image: string;
  network_mode?: string;
  volumes?: string[];
  labels?: Record<string, string>;
  command: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, unknown>;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, { labels?: Record<string, string> }>;
}

const spec = loadSpec();
const layout = clusterLayout(spec, 7001);
const committed = readFileSync(new URL('../../docker-compose.cluster.yml', import.meta.url), 'utf8');
const compose = parseYaml(committed) as Compose;
const nodeNames = layout.map((n) => n.name);
const initScript = compose.services['cluster-init']?.command.at(-1) ?? '';

describe('docker-compose.cluster.yml', () => {
  it('is exactly what `cache-harness compose` renders from the spec', () => {
    expect(committed).toBe(renderCompose(spec, 7001));
  });

  it('has the six spec nodes and cluster-init, and nothing docker-compose v1 rejects (top-level name, configs.content)', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...nodeNames, 'cluster-init'].sort());
    expect(Object.keys(compose).sort()).toEqual(['services', 'volumes']);
  });

  it("runs the image named by CACHE_HARNESS_REDIS_IMAGE, else the spec's", () => {
    for (const s of Object.values(compose.services)) expect(s.image).toBe(`\${CACHE_HARNESS_REDIS_IMAGE:-${spec.topology.image}}`);
    const other = renderCompose({ ...spec, topology: { ...spec.topology, image: 'registry.example/redis:7.0' } }, 7001);
    expect(other).toContain('image: ${CACHE_HARNESS_REDIS_IMAGE:-registry.example/redis:7.0}');
  });

  it("labels every service and volume as the harness's", () => {
    for (const s of Object.values(compose.services)) expect(s.labels).toEqual({ 'io.cache-harness.owner': 'compose' });
    for (const v of Object.values(compose.volumes)) expect(v.labels).toEqual({ 'io.cache-harness.owner': 'compose' });
  });

  it('gives each node its own volume: no two services share one', () => {
    const sources = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]));
    expect(sources).toHaveLength(6);
    expect(new Set(sources).size).toBe(6);
    for (const name of nodeNames) expect(compose.services[name]?.volumes).toEqual([`${name}-data:/data`]);
    expect(Object.keys(compose.volumes).sort()).toEqual(nodeNames.map((n) => `${n}-data`).sort());
  });

  it('hands each node its config in REDIS_CONF, the container rendering of that node, written to /data before start', () => {
    for (const node of layout) {
      const svc = compose.services[node.name];
      expect(svc?.environment?.REDIS_CONF).toBe(renderRedisConf(spec, node, { kind: 'container' }));
      expect(svc?.command.at(-1)).toMatch(/printf '%s' "\$\$REDIS_CONF" > \/data\/redis\.conf;.*exec redis-server \/data\/redis\.conf$/);
    }
  });

  it('escapes every $ of a config for compose except the password reference', () => {
    const node = layout[0];
    if (!node) throw new Error('no node');
    // `$` is a real value here: keyspace events of string commands.
    const withDollar = { ...spec, redis: { ...spec.redis, 'notify-keyspace-events': 'K$' } };
    const conf = composeConf(withDollar, node);
    expect(conf).toContain('notify-keyspace-events K$$\n');
    expect(conf).toContain('requirepass ${REDIS_PASSWORD}\n');
  });

  it('uses host networking so nodes announce 127.0.0.1:<port>', () => {
    for (const s of Object.values(compose.services)) expect(s.network_mode).toBe('host');
  });

  it('starts cluster-init only when every node is healthy', () => {
    expect(compose.services['cluster-init']?.depends_on).toEqual(
      Object.fromEntries(nodeNames.map((n) => [n, { condition: 'service_healthy' }])),
    );
  });

  it("assigns the spec's slot ranges to the masters' ports", () => {
    expect(initScript).toContain('-p 7001 cluster addslotsrange 0 5460');
    expect(initScript).toContain('-p 7002 cluster addslotsrange 5461 10922');
    expect(initScript).toContain('-p 7003 cluster addslotsrange 10923 16383');
    expect(initScript.match(/addslotsrange/g)).toHaveLength(3);
  });

  it('makes each replica replicate its spec master', () => {
    const replicate = initScript.split('\n').filter((l) => l.includes('cluster replicate'));
    expect(replicate).toHaveLength(3);
    for (const [replicaPort, masterPort] of [
      [7004, 7001],
      [7005, 7002],
      [7006, 7003],
    ]) {
      expect(replicate.some((l) => l.includes(`-p ${replicaPort} `) && l.includes(`-p ${masterPort} cluster myid`))).toBe(true);
    }
  });

  it('never puts the password on a command line: redis-cli reads REDISCLI_AUTH', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.environment?.REDISCLI_AUTH, name).toBe('${REDIS_PASSWORD:?set REDIS_PASSWORD}');
      for (const line of [...s.command, ...(s.healthcheck?.test ?? [])]) {
        for (const cli of line.match(/redis-cli[^|;\n]*/g) ?? []) expect(cli, name).not.toMatch(/\s(-a|--pass|--user)\b|REDIS_PASSWORD/);
      }
    }
    expect(initScript.match(/redis-cli/g)?.length).toBeGreaterThan(10);
  });

  it('runs redis-server with umask 077: users.acl, RDB and AOF are 0600', () => {
    for (const name of nodeNames) expect(compose.services[name]?.command.at(-1), name).toMatch(/^umask 077; .*exec redis-server /);
  });
});
