import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import type { ConfLine } from './parse-conf.js';

export type Severity = 'error' | 'warning';

export interface LintIssue {
  line: number | null;
  severity: Severity;
  rule: string;
  message: string;
}

export interface StaticOptions {
  /** Paths a container of the cluster has (its mounts and image paths); logfile/dir elsewhere cannot be opened there. null = not linting for containers. */
  containerPaths: string[] | null;
}

/** Paths the seed's docker run mounts, plus paths every container has. */
export const DEFAULT_CONTAINER_PATHS = ['/data', '/var/log/redis', '/usr/local/etc/redis', '/tmp'];

/** The checks Redis itself does not make. Reads the disk once: whether this host could open the logfile. */
export function staticIssues(lines: readonly ConfLine[], opts: StaticOptions): LintIssue[] {
  const out: LintIssue[] = [];
  const first = (d: string) => lines.find((l) => l.directive === d);
  for (const l of lines) {
    const hash = l.args.findIndex((a) => a.startsWith('#'));
    if (hash >= 0) {
      out.push({
        line: l.line,
        severity: 'error',
        rule: 'inline-comment',
        message: `"${l.args.slice(hash).join(' ')}" after ${l.directive}: Redis has no inline comments, these words are read as more arguments`,
      });
    }
    if (l.directive.includes('-ziplist-')) {
      out.push({
        line: l.line,
        severity: 'warning',
        rule: 'deprecated-ziplist',
        message: `${l.directive} is a legacy alias in Redis 7; use ${l.directive.replace('-ziplist-', '-listpack-')}`,
      });
    }
    if (l.directive === 'cluster-announce-ip' && l.args[0] !== undefined && isIP(l.args[0]) === 0) {
      out.push({
        line: l.line,
        severity: 'error',
        rule: 'announce-ip-hostname',
        message: `cluster-announce-ip "${l.args[0]}" is not an IP: peers cannot reach the node and clients get MOVED to that name; use cluster-announce-hostname with cluster-preferred-endpoint-type hostname`,
      });
    }
    if (l.directive === 'maxmemory-policy' && l.args[0]?.startsWith('allkeys-')) {
      out.push({
        line: l.line,
        severity: 'error',
        rule: 'allkeys-eviction',
        message: `${l.args[0]} can evict tenant meta keys (config, limits: no TTL); use a volatile-* policy, every data key has a TTL`,
      });
    }
    if ((l.directive === 'logfile' || l.directive === 'dir') && opts.containerPaths) {
      const p = l.args[0] ?? '';
      if (p.startsWith('/') && !opts.containerPaths.some((c) => p === c || p.startsWith(`${c}/`))) {
        out.push({
          line: l.line,
          severity: 'error',
          rule: 'container-path',
          message: `${l.directive} ${p} is not a path the container has (it mounts ${opts.containerPaths.join(', ')}): Redis exits at start and the container restart-loops`,
        });
      }
    }
  }
  const logfile = lines.filter((l) => l.directive === 'logfile').at(-1);
  const logPath = logfile?.args[0] ?? '';
  if (logfile && logPath !== '' && !canAppend(logPath)) {
    // Redis opens the log file after the whole config is read, so its error names no line; we do.
    out.push({
      line: logfile.line,
      severity: 'error',
      rule: 'logfile-unwritable',
      message: `on this host redis-server exits with "Can't open the log file": ${dirname(logPath)} is missing or not writable`,
    });
  }
  const requirepass = first('requirepass');
  if (requirepass && !first('masterauth')) {
    out.push({
      line: requirepass.line,
      severity: 'error',
      rule: 'requirepass-without-masterauth',
      message: 'requirepass without masterauth: replicas get NOAUTH, never sync, and failover is refused',
    });
  }
  if (!requirepass && !first('aclfile') && !first('user')) {
    out.push({
      line: null,
      severity: 'warning',
      rule: 'no-auth',
      message: 'no requirepass, aclfile or user: anyone who reaches the port is admin',
    });
  }
  if (!first('bind')) out.push({ line: null, severity: 'warning', rule: 'no-bind', message: 'no bind: Redis listens on every interface' });
  return out;
}

function canAppend(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    try {
      accessSync(dirname(path), constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }
}
