import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBench } from '../../src/bench/format.js';
import { HarnessError } from '../../src/errors.js';
import { benchKey, benchTrends, loadRuns, renderIndexHtml } from '../../src/report/history.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderBenchSection } from '../../src/report/perf-html.js';
import { readResultFile } from '../../src/report/read-result.js';
import { writeReports } from '../../src/report/write.js';
import type { ResultDocument } from '../../src/report/result.js';
import { runProgram, tmp } from '../support/cli.js';
import { benchResult, comparison, gateDocument } from '../support/result-docs.js';

const PNG_URI = /<img [^>]*src="data:image\/png;base64,[A-Za-z0-9+/=]{1000,}"/g;

/** A run of the gate at `minute` past midnight, its benches' p99 growing with `scale`. */
function run(minute: number, scale: number, over: Partial<ResultDocument> = {}): ResultDocument {
  const at = `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
  return gateDocument({
    run_id: `2026-01-01T00-${String(minute).padStart(2, '0')}-00-000Z-${minute}`,
    started_at: at,
    benches: [benchResult('mobile open loop', scale, at), benchResult('web open loop', scale, at)],
    ...over,
  });
}

/** A reports folder: three gate runs (written by writeReports, as the gate does), two broken ones, and clutter. */
function reportsFolder(): { dir: string; docs: ResultDocument[] } {
  const dir = tmp();
  const docs = [
    run(1, 2),
    // The second run's mobile bench was retried: its last attempt is the one that counts.
    run(2, 3, {
      verdict: 'pass',
      exit_code: 0,
      comparison: comparison(0),
      benches: [
        benchResult('mobile open loop', 9),
        benchResult('mobile open loop (attempt 2: the previous one broke the SLO while disturbed)', 4),
        benchResult('web open loop', 3),
      ],
    }),
    run(3, 5),
  ];
  for (const d of docs) writeReports(d, dir);
  mkdirSync(join(dir, 'not-json'));
  writeFileSync(join(dir, 'not-json', 'result.json'), '{"schema": "cache-harness.result", ');
  mkdirSync(join(dir, 'old-version'));
  writeFileSync(join(dir, 'old-version', 'result.json'), JSON.stringify({ ...docs[0], schema_version: 1 }));
  mkdirSync(join(dir, 'no-result'));
  writeFileSync(join(dir, 'notes.txt'), 'not a run');
  return { dir, docs };
}

describe('reports history (index.html)', () => {
  it('writeReports writes report.md beside report.html and refreshes the folder index', () => {
    const dir = tmp();
    const doc = run(1, 2);
    const paths = writeReports(doc, dir);
    expect(readFileSync(paths.markdown, 'utf8')).toBe(renderMarkdown(doc));
    expect(paths.markdown).toBe(join(dir, doc.run_id, 'report.md'));
    expect(paths.index).toBe(join(dir, 'index.html'));
    expect(readFileSync(paths.index, 'utf8')).toContain(`href="${encodeURIComponent(doc.run_id)}/report.html"`);
    const second = writeReports(run(2, 3), dir);
    expect(readFileSync(second.index, 'utf8').match(/href="[^"]+\/report\.html"/g)).toHaveLength(2);
  });

  it('lists every run newest first; an unreadable result.json is listed with its problem, not fatal', () => {
    const { dir, docs } = reportsFolder();
    const runs = loadRuns(dir);
    expect(runs.map((r) => r.folder).filter((f) => !['not-json', 'old-version'].includes(f))).toEqual(docs.map((d) => d.run_id).reverse());
    expect(runs).toHaveLength(5);
    const problems = Object.fromEntries(runs.flatMap((r) => ('problem' in r ? [[r.folder, r.problem]] : [])));
    expect(problems['not-json']).toMatch(/not-json\/result\.json is not JSON/);
    expect(problems['old-version']).toMatch(/old-version\/result\.json has result schema version 1; this harness reads version 2/);

    const html = renderIndexHtml(runs);
    const links = [...html.matchAll(/href="([^"]+)\/report\.html"/g)].map((m) => decodeURIComponent(m[1] ?? ''));
    expect(links).toEqual(docs.map((d) => d.run_id).reverse());
    expect(html).toContain('5 run(s), newest first · 2 unreadable');
    expect(html).toContain('class="failed">unreadable</td>');
    expect(html).toContain('has result schema version 1; this harness reads version 2');
    expect(html).toContain('vs baseline: no regression');
    // One trend chart per bench (the retry folded into its bench), drawn as PNGs like report.html's charts.
    expect(html.match(PNG_URI)).toHaveLength(2);
    expect(html).toContain('alt="mobile open loop: trend across runs"');
  });

  it('trends: oldest first per bench, a retried bench counted by its last attempt', () => {
    const { dir, docs } = reportsFolder();
    const trends = benchTrends(loadRuns(dir));
    expect([...trends.keys()]).toEqual(['mobile open loop', 'web open loop']);
    const mobile = trends.get('mobile open loop') ?? [];
    expect(mobile.map((p) => p.run)).toEqual(docs.map((d) => d.run_id));
    const attempt2 = docs[1]?.benches?.[1];
    expect(mobile[1]?.p99_us).toBe(attempt2?.overall.p99_us);
    expect(mobile[1]?.p99_us).not.toBe(docs[1]?.benches?.[0]?.overall.p99_us);
    expect(mobile[1]?.throughput).toBe(attempt2?.totals.completed_rate);
    expect(benchKey('web open loop (attempt 3: the previous one broke the SLO while disturbed)')).toBe('web open loop');
    expect(benchKey('HTTP edge (mobile, raw)')).toBe('HTTP edge (mobile, raw)');
  });

  it('an empty folder renders a page saying so', () => {
    const html = renderIndexHtml([]);
    expect(html).toContain('No run yet');
    expect(html).not.toContain('<img');
  });
});

describe('readResultFile', () => {
  it('reads a version-2 document written before the later optional fields (per-op seconds, workload, sender counts)', () => {
    const b = benchResult('mobile open loop');
    const { per_second_ops: _ops, workload: _w, ...older } = b;
    const generator = {
      ...b.generator,
      threads: { receiver_ms: 10, sender_ms: 5, sender_spin_ms: 1 },
      pacing: { sender_thread: true, spin_us: 50, spin_budget: 0.3, fine_timer_slack: true },
    };
    const path = join(tmp(), 'result.json');
    writeFileSync(path, JSON.stringify(gateDocument({ benches: [{ ...older, generator }] })));
    const benches = readResultFile(path).benches ?? [];
    expect(benches).toHaveLength(1);
    expect(benches[0]?.per_second_ops).toBeUndefined();
    const text = formatBench(benches[0] ?? b);
    expect(text).toContain('sender thread 5 ms of which spinning 1 ms]');
    expect(text).not.toContain('undefined');
    expect(renderBenchSection(benches)).not.toContain('undefined');
  });

  it('exit 2 naming the file and the problem: missing, not JSON, not a result document, schema version, bad fields', () => {
    const dir = tmp();
    const write = (name: string, body: string) => {
      writeFileSync(join(dir, name), body);
      return join(dir, name);
    };
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.json'), /cannot read .*missing\.json/],
      [write('a.json', 'nope'), /a\.json is not JSON/],
      [
        write('b.json', '{"schema":"cache-harness.bench"}'),
        /b\.json is not a cache-harness result document \(schema "cache-harness\.bench"\)/,
      ],
      [
        write('c.json', '{"schema":"cache-harness.result","schema_version":3}'),
        /c\.json has result schema version 3; this harness reads version 2/,
      ],
      [write('d.json', JSON.stringify({ ...gateDocument(), verdict: 'maybe' })), /d\.json: invalid result document\n {2}verdict: /],
    ];
    for (const [path, message] of cases) {
      let thrown: unknown;
      try {
        readResultFile(path);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, path).toBeInstanceOf(HarnessError);
      expect((thrown as HarnessError).message).toMatch(message);
      expect((thrown as HarnessError).hint).toContain('schema cache-harness.result, version 2');
    }
  });
});

describe('cache-harness report [DIR]', () => {
  it("a run's folder: report.html, report.md and junit.xml rebuilt from result.json alone", async () => {
    const dir = tmp();
    const doc = run(1, 2, { comparison: comparison(1) });
    const paths = writeReports(doc, dir);
    const before = { html: readFileSync(paths.html, 'utf8'), junit: readFileSync(paths.junit, 'utf8') };
    for (const f of [paths.html, paths.markdown, paths.junit]) rmSync(f);
    const r = await runProgram(['report', paths.dir]);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toContain(`rebuilt ${paths.dir}`);
    expect(readFileSync(paths.html, 'utf8')).toBe(before.html);
    expect(readFileSync(paths.junit, 'utf8')).toBe(before.junit);
    expect(readFileSync(paths.markdown, 'utf8')).toContain('### Baseline comparison: ❌ 1 regression(s)');
  });

  it('a reports folder: every readable run rebuilt and the index written, then exit 2 naming each unreadable file', async () => {
    const { dir, docs } = reportsFolder();
    rmSync(join(dir, 'index.html'));
    for (const d of docs) rmSync(join(dir, d.run_id, 'report.md'));
    const r = await runProgram(['report', dir]);
    expect(r.stdout).toContain(`rebuilt 3 of 5 run(s) in ${dir}`);
    expect(r.error).toBeInstanceOf(HarnessError);
    const message = (r.error as HarnessError).message;
    expect(message).toMatch(/^2 result document\(s\) could not be read/);
    expect(message).toContain(join(dir, 'not-json', 'result.json'));
    expect(message).toContain(`${join(dir, 'old-version', 'result.json')} has result schema version 1`);
    for (const d of docs) expect(existsSync(join(dir, d.run_id, 'report.md'))).toBe(true);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('2 unreadable');
  });

  it('exit 2: a missing folder, a folder with no run, a run whose result.json is another schema version', async () => {
    const empty = tmp();
    const single = tmp();
    writeFileSync(join(single, 'result.json'), JSON.stringify({ schema: 'cache-harness.result', schema_version: 1 }));
    const cases: Array<[string, RegExp]> = [
      [join(empty, 'nope'), /nope is not a folder/],
      [empty, /holds no result\.json, and no subfolder of it does/],
      [single, /result\.json has result schema version 1; this harness reads version 2/],
    ];
    for (const [dir, message] of cases) {
      const r = await runProgram(['report', dir]);
      expect(r.error, dir).toBeInstanceOf(HarnessError);
      expect((r.error as HarnessError).message).toMatch(message);
    }
    expect(existsSync(join(single, 'report.html'))).toBe(false);
  });
});
