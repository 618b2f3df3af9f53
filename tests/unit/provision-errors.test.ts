import { describe, expect, it } from 'vitest';
import { explainAdminError } from '../../src/cluster/index.js';
import { describeError, HarnessError } from '../../src/errors.js';

const seed = { host: '127.0.0.1', port: 7001 };

/** What ioredis rejects with: an Error (ReplyError) whose message is the server's reply. */
const reply = (msg: string) => Object.assign(new Error(msg), { name: 'ReplyError' });

describe('admin refusals become exit-2 errors with the fix (no stack)', () => {
  it("NOPERM (a tenant's credentials on --target) says the user lacks admin rights", () => {
    const err = explainAdminError(seed, reply("NOPERM this user has no permissions to run the 'cluster|nodes' command"));
    expect(err).toBeInstanceOf(HarnessError);
    expect(describeError(err)).toBe(
      "127.0.0.1:7001: the user lacks admin rights (NOPERM this user has no permissions to run the 'cluster|nodes' command)\n" +
        "  fix: give an admin user's credentials (a user allowed CLUSTER, ACL, SCAN and the data commands, such as `default`) " +
        "in --target or CACHE_HARNESS_PASSWORD; a tenant's own credentials are not enough",
    );
  });

  it('WRONGPASS and NOAUTH are explained as at connect time', () => {
    expect(describeError(explainAdminError(seed, reply('WRONGPASS invalid username-password pair')))).toMatch(
      /^127\.0\.0\.1:7001: authentication failed .*\n {2}fix: check the password/,
    );
    expect(describeError(explainAdminError(seed, reply('NOAUTH Authentication required.')))).toMatch(/requires a password/);
  });

  it('a standalone Redis on --target (CLUSTER NODES refused) is named as not a cluster node', () => {
    expect(describeError(explainAdminError(seed, reply('ERR This instance has cluster support disabled')))).toBe(
      '127.0.0.1:7001: not a Redis Cluster node (ERR This instance has cluster support disabled)\n' +
        '  fix: name a node of a Redis Cluster (cluster-enabled yes) in --target; a standalone Redis is not supported',
    );
  });

  it('anything else comes back unchanged (a bug keeps its stack)', () => {
    const bug = new TypeError('x is undefined');
    expect(explainAdminError(seed, bug)).toBe(bug);
    const known = new HarnessError('already explained', 'fix');
    expect(explainAdminError(seed, known)).toBe(known);
    const mid = reply('ERR something NOPERM later in the text');
    expect(explainAdminError(seed, mid)).toBe(mid);
  });
});
