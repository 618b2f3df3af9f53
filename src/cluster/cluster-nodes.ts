import type { SlotRange } from './slot-ranges.js';

/** One line of CLUSTER NODES, parsed. */
export interface ClusterNodeInfo {
  id: string;
  host: string;
  port: number;
  busPort: number;
  flags: string[];
  role: 'master' | 'replica';
  /** For a replica: its master's id. */
  masterId: string | null;
  linkState: 'connected' | 'disconnected';
  slots: SlotRange[];
  /** Slots in migrating/importing state ("open" slots). */
  openSlots: Array<{ slot: number; state: 'migrating' | 'importing'; peer: string }>;
}

/** Parse the text of CLUSTER NODES. Pure: unit-tested on captured output. */
export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map(parseLine);
}

function parseLine(line: string): ClusterNodeInfo {
  const [id, addr, flagStr, master, , , , link, ...slotTokens] = line.split(' ');
  if (!id || !addr || !flagStr || !master || !link) throw new Error(`malformed CLUSTER NODES line: ${line}`);
  const m = /^(.*):(\d+)@(\d+)/.exec(addr);
  if (!m) throw new Error(`malformed node address in CLUSTER NODES: ${addr}`);
  const flags = flagStr.split(',');
  const slots: SlotRange[] = [];
  const openSlots: ClusterNodeInfo['openSlots'] = [];
  for (const tok of slotTokens) {
    const open = /^\[(\d+)-([<>])-(\w+)\]$/.exec(tok);
    if (open) {
      openSlots.push({ slot: Number(open[1]), state: open[2] === '>' ? 'migrating' : 'importing', peer: open[3] ?? '' });
      continue;
    }
    const [a, b] = tok.split('-');
    slots.push([Number(a), Number(b ?? a)]);
  }
  return {
    id,
    host: m[1] ?? '',
    port: Number(m[2]),
    busPort: Number(m[3]),
    flags,
    role: flags.includes('master') ? 'master' : 'replica',
    masterId: master === '-' ? null : master,
    linkState: link === 'connected' ? 'connected' : 'disconnected',
    slots,
    openSlots,
  };
}

/** `key:value` lines of INFO / CLUSTER INFO into a map. */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}
