/** One non-blank, non-comment line of a redis.conf. */
export interface ConfLine {
  /** 1-based, as Redis reports it. */
  line: number;
  directive: string;
  args: string[];
  text: string;
}

/** Split a redis.conf into directives the way Redis does: whitespace-separated, quotes group, `#` starts a comment only at line start. */
export function parseConf(text: string): ConfLine[] {
  const out: ConfLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const tokens = splitArgs(trimmed);
    const [directive, ...args] = tokens;
    if (directive) out.push({ line: i + 1, directive: directive.toLowerCase(), args, text: raw });
  });
  return out;
}

function splitArgs(s: string): string[] {
  const tokens: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) tokens.push(m[1] ?? m[2] ?? m[3] ?? '');
  return tokens;
}
