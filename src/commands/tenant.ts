import { Command, Option } from 'commander';
import { explainAdminError, resolveTarget } from '../cluster/index.js';
import { EXIT, HarnessError } from '../errors.js';
import {
  createTenant,
  listTenants,
  loadPopulation,
  prepareCredentialsFile,
  provisionMany,
  removeTenant,
  showTenant,
  validateTenantInput,
  withAdminSession,
  type AdminSession,
  type NodePersist,
  type PendingCredentialsFile,
  type ProvisionReport,
} from '../provision/index.js';
import { renderTable } from '../format/table.js';
import { loadSpec } from '../spec/index.js';
import { metaKey, parseTenantId } from '../tenancy/index.js';
import { progress } from './progress.js';

/** Where command output goes (stdout in the CLI; a buffer in tests). Progress goes to stderr. */
export type Out = (text: string) => void;
const stdout: Out = (t) => {
  process.stdout.write(t);
};

export interface TargetOptions {
  portBase: number;
  target?: string;
}

/**
 * Run `fn` with an admin session on the target; the server refusing an admin operation (NOPERM with a
 * tenant's credentials on --target, WRONGPASS, a standalone Redis) becomes an exit-2 error with the fix,
 * not a stack trace. With `id`: a meta key of another type (WRONGTYPE on its GET) is named too.
 */
async function asAdmin<T>(o: TargetOptions, fn: (s: AdminSession) => Promise<T>, id?: string): Promise<T> {
  const target = resolveTarget(o);
  try {
    return await withAdminSession(target, fn);
  } catch (err) {
    if (id !== undefined && err instanceof Error && /^WRONGTYPE/.test(err.message)) {
      const key = metaKey(parseTenantId(id)); // valid: the verb parsed it before any command
      throw new HarnessError(
        `${key} is not a tenant meta config (${err.message})`,
        `look at it (TYPE ${key}) and, if no tenant owns it, delete it (DEL ${key}); then run again`,
      );
    }
    const seed = target.seeds[0];
    throw seed ? explainAdminError(seed, err) : err;
  }
}

export async function tenantCreateCommand(
  id: string,
  plan: string,
  o: TargetOptions & { spec: string; web?: boolean; json?: boolean; changePlan?: boolean },
  out: Out = stdout,
): Promise<void> {
  const spec = loadSpec(o.spec);
  const input = { id, plan, ...(o.web ? { channel: 'web' } : {}) };
  validateTenantInput(spec, input); // before connecting: a bad id or plan fails even with no cluster up
  const r = await asAdmin(o, (s) => createTenant(s, spec, input, { changePlan: o.changePlan ?? false }), id);
  const m = r.meta;
  if (o.json) {
    out(
      `${JSON.stringify({ status: r.status, tenant: m.tenant, plan: m.plan, modules: m.modules, channel: m.channel, aclUser: m.aclUser, ...(r.status === 'created' ? { password: r.password } : {}) }, null, 2)}\n`,
    );
    return;
  }
  if (r.status === 'created') {
    out(
      `created tenant ${m.tenant}: plan ${m.plan} (${m.modules.join(', ')}), channel ${m.channel}\n` +
        `ACL user ${m.aclUser} on ${r.aclNodes.length} nodes; ${persistSummary(r.persisted)}\n` +
        `password: ${r.password}\n  (shown once: store it now; Redis keeps only its SHA-256)\n`,
    );
  } else if (r.status === 'exists') {
    out(
      `tenant ${m.tenant} already exists with plan ${m.plan}, channel ${m.channel}: nothing changed, no new password\n` +
        (r.aclRepairedOn.length ? `ACL user ${m.aclUser} was missing on ${r.aclRepairedOn.join(', ')}: re-created from its hash\n` : '') +
        (r.aclRuleUpdatedOn.length
          ? `ACL user ${m.aclUser} had an older rule on ${r.aclRuleUpdatedOn.join(', ')}: the current one re-applied\n`
          : '') +
        (r.persisted.length ? `${persistSummary(r.persisted)}\n` : ''),
    );
  } else {
    out(
      `tenant ${m.tenant} moved from plan ${r.previous.plan}/${r.previous.channel} to ${m.plan}/${m.channel} (${m.modules.join(', ')}); ACL user and password unchanged\n`,
    );
  }
}

export async function tenantListCommand(o: TargetOptions & { json?: boolean }, out: Out = stdout): Promise<void> {
  const { tenants, invalid } = await asAdmin(o, listTenants);
  for (const bad of invalid) progress(`warning: ${bad.node} ${bad.key}: ${bad.reason}`);
  if (o.json) {
    out(`${JSON.stringify(tenants, null, 2)}\n`);
    return;
  }
  if (tenants.length === 0) {
    out('no tenants\n');
    return;
  }
  const rows = [['TENANT', 'PLAN', 'CHANNEL', 'MODULES'], ...tenants.map((t) => [t.tenant, t.plan, t.channel, t.modules.join(',')])];
  out(`${renderTable(rows, { align: 'left' })}\n`);
  out(`${tenants.length} tenant(s)\n`);
}

export async function tenantShowCommand(id: string, o: TargetOptions & { json?: boolean }, out: Out = stdout): Promise<void> {
  const d = await asAdmin(o, (s) => showTenant(s, id), id);
  if (o.json) {
    out(`${JSON.stringify(d, null, 2)}\n`);
    return;
  }
  const m = d.meta;
  const acl = d.aclUser;
  out(
    `tenant ${m.tenant}: plan ${m.plan}, channel ${m.channel}, created ${m.createdAt}\n` +
      `limits: maxKeys ${m.maxKeys}, maxMemoryMB ${m.maxMemoryMB}\n` +
      `modules (placement ${m.placement.strategy}):\n` +
      `${renderTable(
        m.modules.map((mod) => [mod, `tag ${m.placement.modules[mod]?.tag ?? '-'}`, `slot ${m.placement.modules[mod]?.slot ?? '-'}`]),
        { align: 'left', indent: '  ' },
      )}\n` +
      `keys: ${d.totalKeys} (${d.keys.map((k) => `${k.node}: ${k.keys}`).join(', ')})\n` +
      `ACL user ${acl.name}: on ${acl.presentOn.length}/${acl.presentOn.length + acl.missingOn.length} nodes` +
      `${acl.missingOn.length ? `, MISSING on ${acl.missingOn.join(', ')}` : ''}${acl.consistent ? '' : ', rules DIFFER between nodes'}\n`,
  );
}

export async function tenantRemoveCommand(id: string, o: TargetOptions & { json?: boolean }, out: Out = stdout): Promise<void> {
  const r = await asAdmin(o, (s) => removeTenant(s, id), id);
  if (o.json) {
    out(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  if (!r.metaFound && r.totalKeys === 0 && r.aclUserRemovedOn.length === 0) {
    out(`tenant ${r.tenant} not found: no meta config, no keys, no ACL user; nothing removed\n`);
    return;
  }
  out(
    `removed tenant ${r.tenant}${r.plan ? ` (plan ${r.plan})` : ''}: ${r.totalKeys} key(s) (${r.keysRemoved.map((k) => `${k.node}: ${k.keys}`).join(', ')}), ` +
      `ACL user deleted on ${r.aclUserRemovedOn.length} node(s), meta config ${r.metaFound ? 'deleted' : 'was absent'}; ${persistSummary(r.persisted)}; ${Math.round(r.durationMs)} ms\n`,
  );
}

export async function provisionCommand(
  o: TargetOptions & { spec: string; from: string; json?: boolean; credentialsOut?: string },
  out: Out = stdout,
): Promise<void> {
  if (!o.json && !o.credentialsOut) {
    throw new HarnessError(
      "new tenants' passwords are shown only once, and nowhere to put them was given; nothing was provisioned",
      'pass --credentials-out FILE (written mode 0600) or --json',
    );
  }
  const spec = loadSpec(o.spec);
  const population = loadPopulation(o.from, spec);
  const credentials = o.credentialsOut === undefined ? undefined : pendingCredentials(o.credentialsOut);
  progress(`provisioning ${population.length} tenant(s) from ${o.from}`);
  let r: ProvisionReport;
  try {
    r = await asAdmin(o, (s) => provisionMany(s, spec, population, { log: progress, keepCredentials: (c) => credentials?.commit(c) }));
  } finally {
    credentials?.discard();
  }
  const rate = r.created.length / (r.timingsMs.total / 1000);
  if (r.conflicts.length > 0) process.exitCode = EXIT.harness; // the file's population was not reached
  if (o.json) {
    out(
      `${JSON.stringify({ ...r, ...(o.credentialsOut ? { created: r.created.map(({ password: _pw, ...c }) => c), credentialsFile: o.credentialsOut } : {}) }, null, 2)}\n`,
    );
    return;
  }
  out(
    `provisioned ${r.created.length} new tenant(s) in ${Math.round(r.timingsMs.total)} ms (${Math.round(rate)}/s) on ${r.nodes} nodes; ` +
      `${r.existing.length} already existed${r.aclRepaired ? ` (${r.aclRepaired} ACL user(s) repaired)` : ''}${r.aclRuleUpdated ? ` (${r.aclRuleUpdated} ACL rule(s) brought up to date)` : ''}; ${persistSummary(r.persisted)}\n` +
      `credentials: ${o.credentialsOut} (mode 0600)\n`,
  );
  if (r.conflicts.length > 0) {
    out(
      `${r.conflicts.length} tenant(s) exist with another plan/channel and were left as they are:\n${r.conflicts
        .slice(0, 20)
        .map((c) => `  ${c.tenant}: stored ${c.stored}, file says ${c.wanted}\n`)
        .join('')}`,
    );
  }
}

/**
 * --credentials-out, checked before any tenant exists (its temp file is created now), so an unwritable path
 * costs nothing; an existing file is refused, as it may hold passwords shown only once.
 */
function pendingCredentials(path: string): PendingCredentialsFile {
  try {
    return prepareCredentialsFile(path, { option: '--credentials-out', overwrite: false });
  } catch (err) {
    if (err instanceof HarnessError) throw new HarnessError(`${err.message}; nothing was provisioned`, err.hint);
    throw err;
  }
}

function persistSummary(p: readonly NodePersist[]): string {
  if (p.length === 0) return 'nothing to persist';
  const save = p.filter((x) => x.method === 'acl-save').length;
  const rewrite = p.filter((x) => x.method === 'config-rewrite');
  return [
    save ? `persisted with ACL SAVE on ${save} node(s)` : '',
    rewrite.length
      ? `persisted with CONFIG REWRITE on ${rewrite.length} node(s) without an aclfile (${rewrite.map((x) => x.node).join(', ')})`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
}

export interface CommonOptions {
  specOption: () => Option;
  baseOption: () => Option;
}

/** `tenant create|list|show|remove` and `provision --from`; registered by src/program.ts. */
export function registerTenantCommands(program: Command, common: CommonOptions): void {
  const targetOption = () =>
    new Option(
      '--target <url>',
      'an external cluster, redis://[user:pass@]host:port with admin credentials (else CACHE_HARNESS_PASSWORD); default: the local cluster of `up`',
    );
  const tenant = program
    .command('tenant')
    .description('create, list, show and remove tenants: a meta config and an ACL user on every node');

  tenant
    .command('create')
    .description('create a tenant: meta config (no TTL) + ACL user on every node, persisted; prints its password once')
    .argument('<id>', 'tenant id, ^[A-Za-z0-9_-]{1,64}$')
    .argument('<plan>', 'a plan of the spec (basic, pro, enterprise)')
    .addOption(common.specOption())
    .addOption(common.baseOption())
    .addOption(targetOption())
    .option('--web', "the tenant's clients are web (web TTLs); default mobile")
    .option('--change-plan', 'if the tenant exists with another plan or channel, rewrite its meta config (password unchanged)')
    .option('--json', 'print JSON {status, tenant, plan, modules, channel, aclUser, password}')
    .action(async (id: string, plan: string, o: TargetOptions & { spec: string; web?: boolean; json?: boolean; changePlan?: boolean }) =>
      tenantCreateCommand(id, plan, o),
    );

  tenant
    .command('list')
    .description('list tenants (SCAN tenant-meta:* on every master, never KEYS)')
    .addOption(common.baseOption())
    .addOption(targetOption())
    .option('--json', 'print JSON')
    .action(async (o: TargetOptions & { json?: boolean }) => tenantListCommand(o));

  // `show` and `remove` take the same arguments: one tenant id, a target, --json.
  const byId = (
    verb: string,
    description: string,
    idHelp: string,
    run: (id: string, o: TargetOptions & { json?: boolean }) => Promise<void>,
  ) =>
    tenant
      .command(verb)
      .description(description)
      .argument('<id>', idHelp)
      .addOption(common.baseOption())
      .addOption(targetOption())
      .option('--json', 'print JSON')
      .action(async (id: string, o: TargetOptions & { json?: boolean }) => run(id, o));
  byId('show', 'show a tenant: meta config, keys per master, ACL user on every node', 'tenant id', tenantShowCommand);
  byId(
    'remove',
    'remove a tenant: ACL user on every node, its keys (escaped SCAN + UNLINK per slot), its meta config',
    'tenant id (exact: removing 1 never touches 10)',
    tenantRemoveCommand,
  );

  program
    .command('provision')
    .description('provision a population of tenants from a YAML file (fixtures/tenants.yaml), pipelined')
    .requiredOption('--from <file>', 'population file (YAML)')
    .addOption(common.specOption())
    .addOption(common.baseOption())
    .addOption(targetOption())
    .option(
      '--credentials-out <file>',
      "write the new tenants' passwords to this new file (mode 0600, atomic; checked before anything is created)",
    )
    .option('--json', 'print the report as JSON (with passwords unless --credentials-out is given)')
    .action(async (o: TargetOptions & { spec: string; from: string; json?: boolean; credentialsOut?: string }) => provisionCommand(o));
}
