import { describe, expect, it } from 'vitest';
import { cgroup2Root, chainName, linkRules, parseSs, partitionPlan, promoted } from '../../src/faults/partition.js';
import { judgeAofLoss, lostSpan, EVERYSEC_BOUND_MS, EVERYSEC_MARGIN_MS } from '../../src/faults/persistence.js';
import { parseClusterNodes } from '../../src/cluster/index.js';

describe('partitionPlan', () => {
  it('drops what the isolated group sends to the other nodes, and what the rest sends to the isolated node, in a chain named from the port base', () => {
    const p = partitionPlan(15000, 15000, [15001, 15002]);
    expect(p.chain).toBe(chainName(15000));
    expect(p.chain).toBe('CH-15000');
    expect(p.rules[0]).toEqual(['-N', 'CH-15000']);
    expect(p.rules[1]?.join(' ')).toBe(
      '-A CH-15000 -o lo -p tcp -m cgroup --path cache-harness-15000-iso -m multiport --dports 15001,25001,15002,25002 -j DROP',
    );
    expect(p.rules[2]?.join(' ')).toBe(
      '-A CH-15000 -o lo -p tcp -m cgroup --path cache-harness-15000-rest -m multiport --dports 15000,25000 -j DROP',
    );
    expect(p.rules.at(-1)).toEqual(['-I', 'OUTPUT', '-j', 'CH-15000']);
  });

  it('refuses more ports than one multiport rule takes', () => {
    expect(() => partitionPlan(1, 1, [2, 3, 4, 5, 6, 7, 8, 9])).toThrow(/15 ports/);
  });
});

describe('open links', () => {
  const ss = [
    '0      0      127.0.0.1:25000 127.0.0.1:34644 users:(("redis-server",pid=100,fd=19))',
    '0      0      127.0.0.1:34644 127.0.0.1:25000 users:(("redis-server",pid=200,fd=9))',
    '0      0      127.0.0.1:15000 127.0.0.1:40000 users:(("redis-server",pid=100,fd=20))',
    '0      0      127.0.0.1:40000 127.0.0.1:15000 users:(("node",pid=999,fd=30))',
    '0      0      127.0.0.1:46354 127.0.0.1:25001 users:(("redis-server",pid=100,fd=14))',
    '0      0      127.0.0.1:25001 127.0.0.1:46354 users:(("redis-server",pid=200,fd=15))',
    '0      0      10.0.0.1:22 10.0.0.2:5000 users:(("sshd",pid=5,fd=3))',
  ].join('\n');

  it('parses ss -tnpH lines on loopback with their owner', () => {
    const s = parseSs(ss);
    expect(s).toHaveLength(6);
    expect(s[0]).toEqual({ local: 25000, peer: 34644, pid: 100 });
  });

  it("drops each open link between the isolated node and another node, both ways, and never the harness's own client", () => {
    const rules = linkRules('CH-1', 100, new Set([200]), parseSs(ss)).map((r) => r.join(' '));
    expect(rules).toEqual([
      '-A CH-1 -o lo -p tcp --sport 25000 --dport 34644 -j DROP',
      '-A CH-1 -o lo -p tcp --sport 34644 --dport 25000 -j DROP',
      '-A CH-1 -o lo -p tcp --sport 46354 --dport 25001 -j DROP',
      '-A CH-1 -o lo -p tcp --sport 25001 --dport 46354 -j DROP',
    ]);
  });
});

describe('cgroup2Root', () => {
  it('finds the cgroup2 mount, null without one', () => {
    expect(cgroup2Root('cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n')).toBe(
      '/sys/fs/cgroup/unified',
    );
    expect(cgroup2Root('tmpfs /tmp tmpfs rw 0 0\n')).toBeNull();
  });
});

describe('promoted', () => {
  const line = (id: string, port: number, flags: string, master: string, slots = '') =>
    `${id} 127.0.0.1:${port}@${port + 10000} ${flags} ${master} 0 0 1 connected ${slots}`.trim();
  it('is true once the replica is a master and the old master failed or became a replica', () => {
    const before = parseClusterNodes([line('m', 1, 'master', '-', '0-5460'), line('r', 4, 'slave', 'm')].join('\n'));
    const during = parseClusterNodes([line('m', 1, 'master,fail', '-'), line('r', 4, 'master', '-', '0-5460')].join('\n'));
    const pfail = parseClusterNodes([line('m', 1, 'master,fail?', '-', '0-5460'), line('r', 4, 'slave', 'm')].join('\n'));
    expect(promoted(before, 'm', 'r')).toBe(false);
    expect(promoted(pfail, 'm', 'r')).toBe(false);
    expect(promoted(during, 'm', 'r')).toBe(true);
  });
});

describe('AOF loss', () => {
  const rec = (ms: number) => ({ value: 'v', node: 'n', ackedAtMs: ms });
  it('spans the ack times of the lost writes', () => {
    const ackRecords = new Map([
      ['a', rec(100)],
      ['b', rec(900)],
      ['c', rec(400)],
    ]);
    expect(lostSpan(['c', 'b'], { ackRecords })).toEqual({ spanMs: 500, firstMs: 400 });
    expect(lostSpan([], { ackRecords })).toBeNull();
  });

  it('fails past the bound and margin, on a failover, on a stale value, on nothing acked; passes otherwise', () => {
    const ok = {
      lostSpanMs: 300,
      failedOver: false,
      check: { checked: 10, lost: 3, stale: 0, lostSample: [], staleSample: [] },
      writes: { attempted: 10, acked: 10, errors: {} },
    };
    expect(judgeAofLoss(ok)).toBeNull();
    expect(judgeAofLoss({ ...ok, lostSpanMs: null })).toBeNull();
    expect(judgeAofLoss({ ...ok, lostSpanMs: EVERYSEC_BOUND_MS + EVERYSEC_MARGIN_MS })).toBeNull();
    expect(judgeAofLoss({ ...ok, lostSpanMs: EVERYSEC_BOUND_MS + EVERYSEC_MARGIN_MS + 1 })).toMatch(/past the 1000 ms bound/);
    expect(judgeAofLoss({ ...ok, failedOver: true })).toMatch(/failover/);
    expect(judgeAofLoss({ ...ok, check: { ...ok.check, stale: 1 } })).toMatch(/another value/);
    expect(judgeAofLoss({ ...ok, writes: { ...ok.writes, acked: 0 } })).toMatch(/nothing to measure/);
  });
});
