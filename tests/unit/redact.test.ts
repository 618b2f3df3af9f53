import { describe, expect, it } from 'vitest';
import { parseTargetUrl, resolvePassword } from '../../src/cluster/index.js';
import { describeError, HarnessError } from '../../src/errors.js';
import { hasControlChars, redact, redactConfSecrets, redactSecrets, redactUrlPasswords, rememberSecret } from '../../src/redact.js';

/** What the CLI would print for what `fn` throws (src/cli.ts prints describeError, redacted). */
function printed(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HarnessError);
    return describeError(err);
  }
  throw new Error('expected a HarnessError');
}

describe('redactSecrets', () => {
  it('replaces every occurrence of each secret, whole and by its pieces around control characters', () => {
    expect(redactSecrets('auth s3cr3t failed; s3cr3t again', ['s3cr3t'])).toBe('auth *** failed; *** again');
    // redis-server echoes one line of a config line split by a newline in the password
    expect(redactSecrets('>>> \'requirepass "first-half', ['first-half\nsecond-half'])).toBe('>>> \'requirepass "***');
    expect(redactSecrets('x second-half y', ['first-half\nsecond-half'])).toBe('x *** y');
    // pieces under 4 characters stay: they would blank out unrelated words
    expect(redactSecrets('a bc d', ['a\nbc'])).toBe('a bc d');
    expect(redactSecrets('nothing here', [undefined, ''])).toBe('nothing here');
  });
});

describe('redactUrlPasswords', () => {
  it('hides the password of any URL in a text, also one a URL parser refuses', () => {
    expect(redactUrlPasswords('--target "redis://admin:s3cr3t@127.0.0.1" has no port')).toBe(
      '--target "redis://admin:***@127.0.0.1" has no port',
    );
    expect(redactUrlPasswords('redis://:s3cr3t@127.0.0.1:7001')).toBe('redis://:***@127.0.0.1:7001');
    expect(redactUrlPasswords('redis://admin:s3 cr3t@h:1')).toBe('redis://admin:***@h:1');
    expect(redactUrlPasswords('redis://admin:p@ss@h:1')).toBe('redis://admin:***@h:1');
    expect(redactUrlPasswords('redis://127.0.0.1:7001 refused')).toBe('redis://127.0.0.1:7001 refused');
  });
});

describe('redactConfSecrets', () => {
  it('hides the argument of requirepass and masterauth lines, as redis-server echoes them', () => {
    const fatal = "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n>>> 'requirepass \"abc'\nUnbalanced quotes in configuration line";
    expect(redactConfSecrets(fatal)).toBe(
      "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n>>> 'requirepass ***\nUnbalanced quotes in configuration line",
    );
    expect(redactConfSecrets('MASTERAUTH x y\nport 7001')).toBe('MASTERAUTH ***\nport 7001');
  });
});

describe('redact', () => {
  it('removes the secrets this process was given, from then on', () => {
    // Words no other test file uses as a password: unit files share one module cache (vitest isolate: false),
    // so secrets remembered elsewhere (e.g. a parsed --target URL) are remembered here too.
    expect(redact('value is remembered-q9x7-1')).toBe('value is remembered-q9x7-1');
    rememberSecret('remembered-q9x7-1');
    expect(redact('value is remembered-q9x7-1')).toBe('value is ***');
    expect(redact('and extra-q9x7', ['extra-q9x7'])).toBe('and ***');
  });

  it('knows control characters', () => {
    for (const v of ['a\nb', 'a\rb', 'a\tb', 'a\u0000b', 'a\u007fb']) expect(hasControlChars(v), JSON.stringify(v)).toBe(true);
    expect(hasControlChars('plain-Pässword 1!')).toBe(false);
  });
});

describe('no password in the errors of a malformed --target', () => {
  it.each([
    ['no port', 'redis://admin:url-secret-1@127.0.0.1'],
    ['not a URL', 'redis://admin:url-secret-1@127.0.0.1:99999'],
    ['not a URL, a space in the password', 'redis://admin:url secret-1@[::1:7001'],
    ['bad percent-encoding', 'redis://admin:url-secret-1%zz@127.0.0.1:7001'],
    ['a newline in the password', 'redis://admin:url-secret-1%0Aline2@127.0.0.1:7001'],
  ])('%s', (_case, url) => {
    const text = printed(() => parseTargetUrl(url, { env: {} }));
    expect(text).not.toMatch(/url.secret/);
  });

  it('refuses a CACHE_HARNESS_PASSWORD with a control character, without printing it', () => {
    const env = { CACHE_HARNESS_PASSWORD: 'env-secret-1\nenable-debug-command yes' };
    for (const text of [printed(() => parseTargetUrl('redis://127.0.0.1:7001', { env })), printed(() => resolvePassword(env))]) {
      expect(text).toContain('CACHE_HARNESS_PASSWORD has a control character');
      expect(text).not.toContain('env-secret');
      expect(text).not.toContain('debug');
    }
    expect(resolvePassword({ CACHE_HARNESS_PASSWORD: 'fine-password' })).toBe('fine-password');
  });
});
