import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initialAclFile, renderRedisConf } from '../cluster/index.js';
import { resolvePassword } from '../cluster/password.js';
import { HarnessError } from '../errors.js';
import { clusterLayout, loadSpec } from '../spec/index.js';

export function renderConfCommand(o: { spec: string; portBase: number; node?: string; outDir?: string }): void {
  const spec = loadSpec(o.spec);
  const nodes = clusterLayout(spec, o.portBase).filter((n) => !o.node || n.name === o.node);
  if (nodes.length === 0)
    throw new HarnessError(
      `no node named "${o.node}" in the spec`,
      `use one of: ${clusterLayout(spec, o.portBase)
        .map((n) => n.name)
        .join(', ')}`,
    );
  if (!o.outDir) {
    process.stdout.write(nodes.map((n) => renderRedisConf(spec, n, { kind: 'container' })).join('\n'));
    return;
  }
  const password = resolvePassword();
  for (const n of nodes) {
    const dir = resolve(join(o.outDir, n.name));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'redis.conf'), renderRedisConf(spec, n, { kind: 'local', dir, password }), { mode: 0o600 });
    writeFileSync(join(dir, 'users.acl'), initialAclFile(password), { mode: 0o600 });
    process.stdout.write(`${join(dir, 'redis.conf')}\n`);
  }
}
