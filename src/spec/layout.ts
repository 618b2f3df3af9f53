import type { Spec } from './schema.js';

/** Where one spec node runs: masters first, then replicas, ports base..base+n-1. */
export interface NodeLayout {
  name: string;
  index: number;
  port: number;
  role: 'master' | 'replica';
  /** Slot ranges, for masters. */
  slots: Array<[number, number]>;
  /** The master's name, for replicas. */
  replicaOf?: string;
}

/** The spec's nodes in port order. The 4th node backs the 1st, and so on, as the spec pairs them. */
export function clusterLayout(spec: Spec, portBase: number): NodeLayout[] {
  const masters: NodeLayout[] = spec.topology.masters.map((m, i) => ({
    name: m.name,
    index: i,
    port: portBase + i,
    role: 'master',
    slots: m.slots.map(([a, b]) => [a, b]),
  }));
  const replicas: NodeLayout[] = spec.topology.replicas.map((r, i) => ({
    name: r.name,
    index: masters.length + i,
    port: portBase + masters.length + i,
    role: 'replica',
    slots: [],
    replicaOf: r.of,
  }));
  return [...masters, ...replicas];
}
