import { describe, it, expect } from 'vitest';
import { checkAuth, checkBindLoopback, type AuthFacts } from '../../src/checks/auth.js';

const NOAUTH = 'NOAUTH Authentication required.';
const secure = (over: Partial<AuthFacts> = {}): AuthFacts => ({
  node: 'redis-1',
  requirepass: 'pw',
  masterauth: 'pw',
  aclUsers: [
    'user default on sanitize-payload #6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b ~* &* +@all',
    'user tenant_acme on #2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae ~t:acme:* resetchannels -@all +@read +@write',
  ],
  anonymousReply: NOAUTH,
  ...over,
});

describe('checkAuth', () => {
  it('finds nothing wrong with a protected node', () => {
    expect(checkAuth(secure())).toEqual([]);
  });

  it('reports a missing requirepass', () => {
    expect(checkAuth(secure({ requirepass: '' }))).toEqual([
      { node: 'redis-1', message: 'requirepass is not set: anyone who reaches the port is admin' },
    ]);
  });

  it('reports requirepass without masterauth', () => {
    const problems = checkAuth(secure({ masterauth: '' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^masterauth is not set/);
  });

  it('reports an enabled user without a password, by name', () => {
    const problems = checkAuth(secure({ aclUsers: [...secure().aclUsers, 'user guest on nopass ~* &* +@all'] }));
    expect(problems).toEqual([{ node: 'redis-1', message: 'ACL user "guest" is enabled with no password (nopass)' }]);
  });

  it('does not report a disabled nopass user', () => {
    expect(checkAuth(secure({ aclUsers: ['user guest off nopass sanitize-payload &* -@all'] }))).toEqual([]);
  });

  it('reads the on/off state from its own field, not from the user name', () => {
    // ACL LIST is "user <name> <on|off> ...": "on-call" is a name, the user is off.
    expect(checkAuth(secure({ aclUsers: ['user on-call off nopass ~* &* -@all'] }))).toEqual([]);
  });

  it('reports a node that answers a client with no password', () => {
    expect(checkAuth(secure({ anonymousReply: 'PONG' }))).toEqual([
      { node: 'redis-1', message: 'a client with no password got "PONG" instead of NOAUTH' },
    ]);
  });

  it('reports every problem of a wide-open node', () => {
    const problems = checkAuth({
      node: 'redis-2',
      requirepass: '',
      masterauth: '',
      aclUsers: ['user default on nopass ~* &* +@all'],
      anonymousReply: 'PONG',
    });
    expect(problems).toHaveLength(4);
    expect(problems.every((p) => p.node === 'redis-2')).toBe(true);
  });
});

describe('checkBindLoopback', () => {
  it('accepts loopback addresses, including the optional "-" prefix', () => {
    expect(checkBindLoopback('redis-1', '127.0.0.1')).toEqual([]);
    expect(checkBindLoopback('redis-1', '127.0.0.1 -::1')).toEqual([]);
    expect(checkBindLoopback('redis-1', ' localhost  ::1 ')).toEqual([]);
  });

  it('names each non-loopback address', () => {
    expect(checkBindLoopback('redis-1', '127.0.0.1 0.0.0.0 10.0.0.5')).toEqual([
      { node: 'redis-1', message: 'binds 0.0.0.0, which is not loopback' },
      { node: 'redis-1', message: 'binds 10.0.0.5, which is not loopback' },
    ]);
    expect(checkBindLoopback('redis-1', '* -::*').map((p) => p.message)).toEqual([
      'binds *, which is not loopback',
      'binds ::*, which is not loopback',
    ]);
  });

  it('reports an empty bind (every interface)', () => {
    expect(checkBindLoopback('redis-3', '')).toEqual([{ node: 'redis-3', message: 'no bind address: listens on every interface' }]);
  });
});
