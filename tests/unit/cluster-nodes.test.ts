import { describe, it, expect } from 'vitest';
import { parseClusterNodes, parseInfo } from '../../src/cluster/cluster-nodes.js';
import { formatSlotRanges, NO_OWNER, ownerIndex, ownerMap, rangesContain, slotsOf } from '../../src/cluster/slot-ranges.js';

// CLUSTER NODES as Redis 7.2 prints it, written by hand: slot 93 migrating 7001 -> 7002, a replica in fail?.
const ID1 = '07c37dfeb235213a872192d90877d0cd55635b91';
const ID2 = '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1';
const ID3 = '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f';
const ID4 = 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca';
const ID5 = '824fe116063bc5fcf9f4ffd895bc17aee7731ac3';
const ID6 = '6ec23923021cf3ffec47632106199cb7f496ce01';
const NODES = [
  `${ID1} 127.0.0.1:7001@17001 myself,master - 0 1700000000000 1 connected 0-92 [93->-${ID2}] 95-5460`,
  `${ID2} 127.0.0.1:7002@17002 master - 0 1700000000500 2 connected 93 [94-<-${ID1}] 5461-10922 16383`,
  `${ID3} 127.0.0.1:7003@17003 master - 0 1700000001000 3 connected 10923-16382`,
  `${ID4} 127.0.0.1:7004@17004 slave ${ID1} 0 1700000001500 1 connected`,
  `${ID5} 127.0.0.1:7005@17005 slave,fail? ${ID2} 1700000002000 1700000000000 2 disconnected`,
  `${ID6} 127.0.0.1:7006@17006,redis-6.local slave ${ID3} 0 1700000002500 3 connected`,
  '',
].join('\n');

describe('parseClusterNodes', () => {
  const nodes = parseClusterNodes(NODES);
  const byPort = (p: number) => nodes.find((n) => n.port === p)!;

  it('parses one entry per non-blank line, in order', () => {
    expect(nodes.map((n) => n.id)).toEqual([ID1, ID2, ID3, ID4, ID5, ID6]);
  });

  it('reads host, port and bus port (with and without a hostname suffix)', () => {
    expect(byPort(7001)).toMatchObject({ host: '127.0.0.1', port: 7001, busPort: 17001 });
    expect(byPort(7006)).toMatchObject({ host: '127.0.0.1', port: 7006, busPort: 17006 });
  });

  it('derives role and master id from the flags and master field', () => {
    expect(byPort(7001)).toMatchObject({ role: 'master', masterId: null, flags: ['myself', 'master'] });
    expect(byPort(7004)).toMatchObject({ role: 'replica', masterId: ID1, flags: ['slave'] });
    expect(byPort(7006).masterId).toBe(ID3);
  });

  it('keeps a fail? flag and the link state', () => {
    expect(byPort(7005).flags).toEqual(['slave', 'fail?']);
    expect(byPort(7005).linkState).toBe('disconnected');
    expect(byPort(7004).linkState).toBe('connected');
  });

  it('reads slot ranges and single slots', () => {
    expect(byPort(7001).slots).toEqual([
      [0, 92],
      [95, 5460],
    ]);
    expect(byPort(7002).slots).toEqual([
      [93, 93],
      [5461, 10922],
      [16383, 16383],
    ]);
    expect(byPort(7003).slots).toEqual([[10923, 16382]]);
    expect(byPort(7004).slots).toEqual([]);
  });

  it('reads migrating and importing slots apart from owned slots', () => {
    expect(byPort(7001).openSlots).toEqual([{ slot: 93, state: 'migrating', peer: ID2 }]);
    expect(byPort(7002).openSlots).toEqual([{ slot: 94, state: 'importing', peer: ID1 }]);
    expect(byPort(7003).openSlots).toEqual([]);
  });

  it('accepts CRLF line ends', () => {
    expect(parseClusterNodes(NODES.replace(/\n/g, '\r\n')).map((n) => n.port)).toEqual([7001, 7002, 7003, 7004, 7005, 7006]);
  });

  it('rejects a malformed line', () => {
    expect(() => parseClusterNodes('garbage')).toThrow(/malformed/);
    expect(() => parseClusterNodes(`${ID1} 127.0.0.1 master - 0 0 1 connected`)).toThrow(/malformed node address/);
  });
});

describe('slot ranges and the slot → owner map', () => {
  const nodes = parseClusterNodes(NODES);
  const byPort = (p: number) => nodes.find((n) => n.port === p)!;

  it('knows which ranges hold a slot, bounds included', () => {
    expect(rangesContain(byPort(7001).slots, 0)).toBe(true);
    expect(rangesContain(byPort(7001).slots, 92)).toBe(true);
    expect(rangesContain(byPort(7001).slots, 93)).toBe(false);
    expect(rangesContain(byPort(7002).slots, 93)).toBe(true);
    expect(rangesContain(byPort(7002).slots, 16383)).toBe(true);
    expect(rangesContain(byPort(7004).slots, 0)).toBe(false);
  });

  it('expands and prints ranges (a single slot as one number)', () => {
    expect(
      slotsOf([
        [3, 5],
        [9, 9],
      ]),
    ).toEqual([3, 4, 5, 9]);
    expect(formatSlotRanges(byPort(7002).slots)).toBe('93 5461-10922 16383');
    expect(formatSlotRanges([])).toBe('');
  });

  it('maps every slot to the master serving it; slots nobody serves have no owner', () => {
    const owners = ownerMap(nodes);
    expect(owners).toHaveLength(16384);
    expect(owners[0]?.port).toBe(7001);
    expect(owners[93]?.port).toBe(7002);
    expect(owners[16382]?.port).toBe(7003);
    expect(owners[16383]?.port).toBe(7002);
    // Slot 94 is only importing on 7002: nobody serves it in this view.
    expect(owners[94]).toBeUndefined();
    const index = ownerIndex(nodes);
    expect(index[5461]).toBe(nodes.indexOf(byPort(7002)));
    expect(index[94]).toBe(NO_OWNER);
  });

  it('never makes a replica an owner', () => {
    const replicaClaims = [{ role: 'replica' as const, slots: [[0, 16383] as const] }];
    expect(ownerMap(replicaClaims).every((o) => o === undefined)).toBe(true);
  });
});

describe('parseInfo', () => {
  const INFO = [
    '# Replication',
    'role:slave',
    'master_host:127.0.0.1',
    'master_port:7001',
    'master_link_status:up',
    'slave_read_repl_offset:1234',
    '',
    '# Cluster',
    'cluster_state:ok',
    'cluster_slots_assigned:16384',
    '',
  ].join('\r\n');
  const info = parseInfo(INFO);

  it('maps key:value lines and strips CR', () => {
    expect(info.get('role')).toBe('slave');
    expect(info.get('master_link_status')).toBe('up');
    expect(info.get('cluster_state')).toBe('ok');
    expect(info.get('cluster_slots_assigned')).toBe('16384');
  });

  it('keeps everything after the first colon in the value', () => {
    expect(parseInfo('executable:/usr/bin/redis-server\nconfig_file:C:/x').get('config_file')).toBe('C:/x');
  });

  it('skips section headers and blank lines', () => {
    expect([...info.keys()]).toEqual([
      'role',
      'master_host',
      'master_port',
      'master_link_status',
      'slave_read_repl_offset',
      'cluster_state',
      'cluster_slots_assigned',
    ]);
  });
});
