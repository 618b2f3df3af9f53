import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HarnessError } from '../errors.js';
import { parseConf } from './parse-conf.js';
import { staticIssues, type LintIssue, type Severity } from './static-rules.js';

/** A finding about one service of a compose file (or the file: service null). */
export interface ComposeIssue {
  service: string | null;
  severity: Severity;
  rule: string;
  message: string;
}

export interface ComposeLintReport {
  file: string;
  issues: ComposeIssue[];
  errors: number;
  warnings: number;
}

export interface ComposeLintOptions {
  /** The lines the real redis-server rejects in a config (the CLI passes the lint-config probe). */
  probe: (conf: string) => Promise<LintIssue[]>;
  /** A config file a service bind-mounts, by absolute path; null when it does not exist. */
  readFile?: (path: string) => string | null;
}

/** Restart policies under which a node that cannot start is started again and again. */
const LOOPING_RESTARTS = new Set(['always', 'unless-stopped', 'on-failure']);
/** Paths a Redis image has without any mount: the data dir (the official image's WORKDIR) and /tmp. */
const IMAGE_PATHS = ['/data', '/tmp'];
/** Directives naming files that exist only inside the container: the host probe cannot open them, so they are checked as paths instead. */
const PATH_DIRECTIVES = new Set(['dir', 'logfile', 'aclfile', 'include', 'unixsocket', 'pidfile']);

const volumeEntry = z.union([
  z.string(),
  z.object({ type: z.string().optional(), source: z.string().optional(), target: z.string(), read_only: z.boolean().optional() }),
]);
const serviceSchema = z.object({
  image: z.string().optional(),
  restart: z.string().optional(),
  environment: z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), z.array(z.string())]).optional(),
  volumes: z.array(volumeEntry).optional(),
  configs: z.array(z.union([z.string(), z.object({ source: z.string(), target: z.string().optional() })])).optional(),
});
const composeSchema = z.object({
  services: z.record(z.string(), serviceSchema),
  configs: z.record(z.string(), z.object({ content: z.string().optional(), file: z.string().optional() })).optional(),
});
type Service = z.infer<typeof serviceSchema>;
type Compose = z.infer<typeof composeSchema>;

interface Mount {
  source: string | null;
  target: string;
  readOnly: boolean;
}

/** `src:target[:ro]`, `target` (anonymous) or the long form. */
export function parseMount(v: z.infer<typeof volumeEntry>): Mount {
  if (typeof v !== 'string') return { source: v.source ?? null, target: v.target, readOnly: v.read_only ?? false };
  const parts = v.split(':');
  if (parts.length === 1) return { source: null, target: parts[0] ?? '', readOnly: false };
  return { source: parts[0] ?? null, target: parts[1] ?? '', readOnly: (parts[2] ?? '').split(',').includes('ro') };
}

const isHostPath = (s: string) => s.startsWith('/') || s.startsWith('.') || s.startsWith('~');

/** Compose's `$$` is a literal `$`. */
const unescapeDollars = (s: string) => s.replaceAll('$$', () => '$');

interface NodeConfig {
  text: string;
  /** Where it came from, for messages. */
  from: string;
}

/** The redis.conf a service runs: REDIS_CONF in its environment (ours), a compose config, or a bind-mounted .conf file. */
function serviceConfig(
  svc: Service,
  compose: Compose,
  baseDir: string,
  read: (p: string) => string | null,
): NodeConfig | { missing: string } | null {
  const env = svc.environment;
  const fromEnv = Array.isArray(env)
    ? env.find((e) => e.startsWith('REDIS_CONF='))?.slice('REDIS_CONF='.length)
    : typeof env?.REDIS_CONF === 'string'
      ? env.REDIS_CONF
      : undefined;
  if (fromEnv !== undefined) return { text: unescapeDollars(fromEnv), from: 'its REDIS_CONF' };
  for (const c of svc.configs ?? []) {
    const name = typeof c === 'string' ? c : c.source;
    const def = compose.configs?.[name];
    if (def?.content !== undefined) return { text: unescapeDollars(def.content), from: `config ${name}` };
    if (def?.file !== undefined) {
      const path = resolve(baseDir, def.file);
      const text = read(path);
      return text === null ? { missing: def.file } : { text, from: def.file };
    }
  }
  for (const m of (svc.volumes ?? []).map(parseMount)) {
    if (!m.source || !isHostPath(m.source) || !m.target.endsWith('.conf')) continue;
    const path = isAbsolute(m.source) ? m.source : resolve(baseDir, m.source);
    const text = read(path);
    return text === null ? { missing: m.source } : { text, from: m.source };
  }
  return null;
}

/** The config with container-only paths commented out (same line numbers), for the host probe. */
function withoutPathDirectives(text: string): string {
  const paths = new Set(
    parseConf(text)
      .filter((l) => PATH_DIRECTIVES.has(l.directive))
      .map((l) => l.line),
  );
  return text
    .split('\n')
    .map((l, i) => (paths.has(i + 1) ? '# (a container path: checked apart)' : l))
    .join('\n');
}

/**
 * Checks only containers can fail: one data volume shared by several nodes (they overwrite each other's AOF,
 * RDB and nodes.conf), config paths the container does not have, a restart policy that loops a node whose
 * config cannot start, and each node config's own problems (requirepass without masterauth among them).
 */
export async function lintCompose(file: string, text: string, opts: ComposeLintOptions): Promise<ComposeLintReport> {
  const read =
    opts.readFile ??
    ((p: string) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return null;
      }
    });
  let compose: Compose;
  try {
    compose = composeSchema.parse(parseYaml(text));
  } catch (err) {
    throw new HarnessError(
      `${file} is not a compose file this lint reads: ${(err as Error).message.split('\n')[0] ?? ''}`,
      'pass a docker compose YAML file with a services: map',
    );
  }
  const baseDir = dirname(resolve(file));
  const issues: ComposeIssue[] = [];
  const dataMounts = new Map<string, Array<{ service: string; target: string }>>();

  for (const [name, svc] of Object.entries(compose.services)) {
    const mounts = (svc.volumes ?? []).map(parseMount);
    const conf = serviceConfig(svc, compose, baseDir, read);
    if (conf === null) continue; // not a Redis node (an init or helper service)
    const lines = 'missing' in conf ? [] : parseConf(conf.text);
    // Redis writes AOF, RDB and nodes.conf to its `dir` (the image's WORKDIR, /data, when the config sets none).
    const dataDir = lines.filter((l) => l.directive === 'dir').at(-1)?.args[0] ?? '/data';
    const data = mounts.find((m) => m.target === dataDir);
    if (data?.source && !data.readOnly)
      dataMounts.set(data.source, [...(dataMounts.get(data.source) ?? []), { service: name, target: dataDir }]);
    if ('missing' in conf) {
      issues.push({
        service: name,
        severity: 'warning',
        rule: 'config-not-found',
        message: `its config ${conf.missing} does not exist here: not checked`,
      });
      continue;
    }
    const containerPaths = [...new Set([...mounts.map((m) => m.target), ...IMAGE_PATHS])];
    // logfile-unwritable is about this host; inside the container, container-path says it.
    const confIssues = staticIssues(lines, { containerPaths }).filter((i) => i.rule !== 'logfile-unwritable');
    const probed = await opts.probe(withoutPathDirectives(conf.text));
    for (const i of [...probed, ...confIssues])
      issues.push({
        service: name,
        severity: i.severity,
        rule: i.rule,
        message: `${conf.from}${i.line !== null ? `:${i.line}` : ''}: ${i.message}`,
      });

    const fatal = [...probed, ...confIssues.filter((i) => i.rule === 'container-path')].filter((i) => i.severity === 'error');
    if (svc.restart && LOOPING_RESTARTS.has(svc.restart) && fatal.length > 0) {
      issues.push({
        service: name,
        severity: 'error',
        rule: 'restart-loop',
        message: `restart: ${svc.restart} with a config Redis cannot start with (${fatal.map((f) => `line ${f.line ?? '-'} ${f.rule}`).join(', ')}): the container restarts forever instead of failing once`,
      });
    }
  }
  for (const [source, users] of dataMounts) {
    if (users.length < 2) continue;
    issues.push({
      service: null,
      severity: 'error',
      rule: 'shared-data-volume',
      message: `${users.map((u) => u.service).join(', ')} all mount ${source} as their data dir (${[...new Set(users.map((u) => u.target))].join(', ')}): the nodes overwrite each other's AOF, RDB and nodes.conf; give each node its own volume`,
    });
  }
  return {
    file,
    issues,
    errors: issues.filter((i) => i.severity === 'error').length,
    warnings: issues.filter((i) => i.severity === 'warning').length,
  };
}

/** compiler-style lines: file: service: severity [rule] message */
export function formatComposeLint(r: ComposeLintReport): string {
  const lines = r.issues.map((i) => `${r.file}: ${i.service ?? '(file)'}: ${i.severity} [${i.rule}] ${i.message}`);
  lines.push(`${r.file}: ${r.errors} error(s), ${r.warnings} warning(s)`);
  return lines.join('\n');
}
