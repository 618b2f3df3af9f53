import type { Spec } from '../spec/index.js';
import { containerNodeControl } from './container-control.js';
import { localNodeControl, type NodeControl } from './node-control.js';
import type { Target } from './target.js';

/**
 * The fault verbs (kill, pause, restart a node) for a cluster the harness started: signals to its local processes,
 * or docker verbs on its containers. null for a cluster someone else runs (--target): no faults there.
 */
export function nodeControlFor(target: Target, spec: Spec): NodeControl | null {
  if (target.backend === 'local' && target.runDir !== undefined) return localNodeControl(target.runDir, target.password ?? '');
  if ((target.backend === 'compose' || target.backend === 'containers') && target.containers) return containerNodeControl(target, spec);
  return null;
}
