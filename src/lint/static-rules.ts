import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { memoryToBytes } from '../checks/normalize.js';
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
  out.push(...clientLimitIssues(lines));
  return out;
}

/**
 * The limits that bound what one client can do to a shared node (docs/design-notes.md, "Target settings
 * that differ from the seed"): warned about when missing (Redis's defaults are the unbounded ones) or
 * set to no limit; a query buffer below proto-max-bulk-len is an error (Redis 7.0 accepts it).
 */
function clientLimitIssues(lines: readonly ConfLine[]): LintIssue[] {
  const out: LintIssue[] = [];
  const last = (...names: string[]) => lines.filter((l) => names.includes(l.directive)).at(-1);
  const warn = (line: number | null, rule: string, message: string) => out.push({ line, severity: 'warning', rule, message });
  const bulk = last('proto-max-bulk-len');
  if (!bulk)
    warn(
      null,
      'proto-max-bulk-len',
      'no proto-max-bulk-len: one client can send a 512 MB value (the default), stalling the node and its replica; a cache needs a few MB',
    );
  const query = last('client-query-buffer-limit');
  if (!query)
    warn(null, 'client-query-buffer-limit', 'no client-query-buffer-limit: one client can hold 1 GB of unprocessed input (the default)');
  const bulkBytes = sizeOf(bulk?.args[0] ?? '512mb');
  const queryBytes = sizeOf(query?.args[0] ?? '1gb');
  if (bulkBytes !== undefined && queryBytes !== undefined && queryBytes < bulkBytes) {
    out.push({
      line: query?.line ?? bulk?.line ?? null,
      severity: 'error',
      rule: 'client-query-buffer-limit',
      message: `client-query-buffer-limit (${queryBytes} bytes) is below proto-max-bulk-len (${bulkBytes} bytes): a client sending a value of the allowed size is disconnected`,
    });
  }
  const normal = lines
    .filter((l) => l.directive === 'client-output-buffer-limit')
    .flatMap((l) => groupsOf4(l.args).map((g) => ({ line: l.line, g })))
    .filter(({ g }) => g[0]?.toLowerCase() === 'normal')
    .at(-1);
  if (!normal)
    warn(
      null,
      'client-output-buffer-limit',
      'no client-output-buffer-limit normal: a client that leaves replies unread holds unbounded memory (the default is 0 0 0)',
    );
  else if (sizeOf(normal.g[1] ?? '') === 0 && sizeOf(normal.g[2] ?? '') === 0)
    warn(
      normal.line,
      'client-output-buffer-limit',
      'client-output-buffer-limit normal 0 0: no limit, a client that leaves replies unread holds unbounded memory',
    );
  if (!last('maxclients'))
    warn(
      null,
      'maxclients',
      'no maxclients: 10000 (the default, lowered to the open-file limit - 32); size it to the planned connections plus headroom for admin and replication',
    );
  if (!last('busy-reply-threshold', 'lua-time-limit'))
    warn(
      null,
      'busy-reply-threshold',
      'no busy-reply-threshold (lua-time-limit): a script blocks every client of the node for 5 s (the default) before they get BUSY and SCRIPT KILL can act',
    );
  return out;
}

function sizeOf(v: string): number | undefined {
  try {
    return memoryToBytes(v);
  } catch {
    return undefined; // redis-server's own probe reports a value it cannot read
  }
}

function groupsOf4(args: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i + 4 <= args.length; i += 4) out.push(args.slice(i, i + 4));
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
