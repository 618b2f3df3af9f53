/** Progress lines go to stderr, so stdout stays clean for --json. */
export function progress(line: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[${t}] ${line}\n`);
}
