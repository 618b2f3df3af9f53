import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeReports } from '../../src/report/write.js';
import { runCli, tmp } from '../support/cli.js';
import { gateDocument } from '../support/result-docs.js';

// The bin's exit codes for `report` (no cluster): 0 when every run is rebuilt, 2 with the file and the fix otherwise.
describe('cache-harness report (the bin)', () => {
  it('rebuilds a reports folder (exit 0); exit 2 naming a result.json of another schema version, with the fix', async () => {
    const dir = tmp();
    const paths = writeReports(gateDocument(), dir);
    rmSync(paths.markdown);
    const ok = await runCli(['report', dir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`rebuilt 1 of 1 run(s) in ${dir}`);
    expect(existsSync(paths.markdown)).toBe(true);

    writeFileSync(paths.json, JSON.stringify({ schema: 'cache-harness.result', schema_version: 1 }));
    const bad = await runCli(['report', paths.dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${paths.json} has result schema version 1; this harness reads version 2`);
    expect(bad.stderr).toContain('fix: pass a result.json that a gate of this harness wrote');
  });
});
