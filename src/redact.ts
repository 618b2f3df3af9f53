/**
 * The one place secrets are taken out of text meant for a terminal, a log or a report. `redact` removes
 * the passwords this process knows (registered with `rememberSecret`), the password of any
 * `scheme://user:pass@` URL, and the argument of any `requirepass`/`masterauth` config line (what
 * redis-server echoes when it refuses its config). Every message that may carry a password goes through it.
 */

export const REDACTED = '***';

/** Shorter pieces of a secret are not redacted on their own: they would blank out unrelated words. */
const MIN_FRAGMENT = 4;

const known = new Set<string>();

/** A password this process holds (the admin's, a --target's): `redact` removes it from any text from now on. */
export function rememberSecret(secret: string | undefined): void {
  if (secret) known.add(secret);
}

/**
 * Replace each secret in `text` with `***`. A secret with line breaks or other control characters can
 * reach the text in pieces (redis-server echoes one line of its config), so each piece of at least 4
 * characters is replaced too.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  const needles = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    needles.add(s);
    for (const piece of s.split(CONTROL_CHARS)) if (piece.length >= MIN_FRAGMENT) needles.add(piece);
  }
  // Longest first, so a secret is replaced whole before any of its pieces.
  let out = text;
  for (const n of [...needles].sort((a, b) => b.length - a.length)) out = out.split(n).join(REDACTED);
  return out;
}

/**
 * `redis://user:pass@host` → `redis://user:***@host`, for every URL in the text, also a malformed one
 * (a password with a space or an `@` in it: as in a URL parser, the last `@` of the line ends it).
 */
export function redactUrlPasswords(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\n]*@/gi, `$1${REDACTED}@`);
}

/** `requirepass <x>` / `masterauth <x>` (any quoting, to the end of the line) → `requirepass ***`. */
export function redactConfSecrets(text: string): string {
  return text.replace(/\b(requirepass|masterauth)([ \t]+)[^\n]*/gi, `$1$2${REDACTED}`);
}

/** Every rule above, with the secrets this process knows and `extra` ones. */
export function redact(text: string, extra: Iterable<string | undefined> = []): string {
  return redactConfSecrets(redactUrlPasswords(redactSecrets(text, [...known, ...extra])));
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]+/;

/** True when the value has a control character (a newline, a tab, NUL...): refused in passwords. */
export function hasControlChars(value: string): boolean {
  return CONTROL_CHARS.test(value);
}
