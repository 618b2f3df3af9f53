import type { DirectiveValue, NodeLayout, Spec } from '../spec/index.js';

/**
 * Where the config will run. `local`: a redis-server process of ours, with a run dir.
 * `container`: a container's node (data in /data, log to stdout); the password is `${REDIS_PASSWORD}` for
 * compose to fill in from the environment, or written in when given (the file is copied into the container).
 */
export type ConfFlavor = { kind: 'local'; dir: string; password: string } | { kind: 'container'; password?: string };

/** The in-container paths the compose file mounts. */
export const CONTAINER_DATA_DIR = '/data';

/** Render one node's redis.conf from the spec. Valid for Redis 7: no inline comments, listpack names. */
export function renderRedisConf(spec: Spec, node: NodeLayout, flavor: ConfFlavor): string {
  const dir = flavor.kind === 'local' ? flavor.dir : CONTAINER_DATA_DIR;
  const password = flavor.password === undefined ? '${REDIS_PASSWORD}' : quoteIfNeeded(flavor.password);
  const lines: string[] = [
    `# redis.conf rendered by cache-harness from spec "${spec.name}" for ${node.name} (${node.role}${node.replicaOf ? ` of ${node.replicaOf}` : ''})`,
    '# Redis has no inline comments: a comment must be on its own line.',
    `port ${node.port}`,
    `bind ${spec.security.bind.join(' ')}`,
    'protected-mode yes',
    'daemonize no',
    `dir ${dir}`,
    `logfile ${flavor.kind === 'local' ? `${dir}/redis.log` : '""'}`,
    'cluster-enabled yes',
    `cluster-config-file nodes-${node.port}.conf`,
  ];
  if (spec.security.requirePassword) {
    lines.push(
      '# requirepass AND masterauth: without masterauth replicas never sync (NOAUTH) and failover is refused',
      `requirepass ${password}`,
      `masterauth ${password}`,
      '# ACL users (tenants) persist per node with ACL SAVE; users.acl is written before start',
      `aclfile ${dir}/users.acl`,
    );
  }
  lines.push('# target settings from the spec');
  for (const [directive, value] of Object.entries(spec.redis)) lines.push(...renderDirective(directive, value));
  return `${lines.join('\n')}\n`;
}

/** `save` may repeat: one line per rule. */
export function renderDirective(directive: string, value: DirectiveValue): string[] {
  const values = Array.isArray(value) ? value : [value];
  // Spaces here separate arguments (save "300 10" is two numbers), so only an empty value is quoted.
  return values.map((v) => `${directive} ${String(v) === '' ? '""' : String(v)}`);
}

/** Redis splits config lines on spaces and honours double quotes with backslash escapes. */
export function quoteIfNeeded(v: string): string {
  if (v !== '' && !/[\s"'\\]/.test(v)) return v;
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
