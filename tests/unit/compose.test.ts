import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { renderCompose } from '../../src/cluster/compose.js';
import { renderRedisConf } from '../../src/cluster/render-conf.js';
import { clusterLayout, loadSpec } from '../../src/spec/index.js';

interface Service {
  image: string;
  network_mode?: string;
  volumes?: string[];
  configs?: Array<{ source: string; target: string }>;
  command: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, unknown>;
}
interface Compose {
  name: string;
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
  volumes: Record<string, unknown>;
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

  it('has the six spec nodes and cluster-init', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...nodeNames, 'cluster-init'].sort());
    expect(compose.name).toBe('kryonix-cluster');
  });

  it('gives each node its own volume: no two services share one', () => {
    const sources = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]));
    expect(sources).toHaveLength(6);
    expect(new Set(sources).size).toBe(6);
    for (const name of nodeNames) expect(compose.services[name]?.volumes).toEqual([`${name}-data:/data`]);
    expect(Object.keys(compose.volumes).sort()).toEqual(nodeNames.map((n) => `${n}-data`).sort());
  });

  it("mounts each node's config, equal to the container rendering of that node", () => {
    for (const node of layout) {
      const svc = compose.services[node.name];
      expect(svc?.configs).toEqual([{ source: `${node.name}-conf`, target: '/usr/local/etc/redis/redis.conf' }]);
      expect(compose.configs[`${node.name}-conf`]?.content).toBe(renderRedisConf(spec, node, { kind: 'container' }));
    }
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
