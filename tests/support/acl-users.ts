import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { usersOn, type AdminSession } from '../../src/provision/index.js';
import type { TestCluster } from './cluster.js';

/**
 * `count` generated tenants' ACL users (`tenant-t<6 digits>`, generatePopulation's ids) live on every node
 * and are persisted in every node's users.acl (ACL SAVE ran), as provisioning promises.
 */
export async function expectGeneratedUsersEverywhere(admin: AdminSession, tc: TestCluster, count: number): Promise<void> {
  for (const n of admin.nodes) {
    const users = [...(await usersOn(n))].filter((u) => /^tenant-t\d{6}$/.test(u));
    expect(users, n.address).toHaveLength(count);
  }
  for (const node of tc.run.state.nodes) {
    const lines = readFileSync(join(node.dir, 'users.acl'), 'utf8')
      .split('\n')
      .filter((l) => /^user tenant-t\d{6} /.test(l));
    expect(lines, `${node.name} users.acl`).toHaveLength(count);
  }
}
