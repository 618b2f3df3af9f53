import { findFreePortBase } from '../../src/cluster/index.js';

/**
 * A free port block for one test file. Each file passes its own slot (0, 1, 2...) so files running
 * in parallel start from different bases (base + 10*slot, so 10 files fit in a 100-port range); the block is still checked free before use.
 */
export function testPortBase(slot: number, count = 6): Promise<number> {
  const base = Number(process.env.CACHE_HARNESS_TEST_PORT_BASE ?? 7600);
  return findFreePortBase(base + slot * 10, count, '127.0.0.1', 100);
}
