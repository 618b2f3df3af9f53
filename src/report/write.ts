import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from './html.js';
import { renderJUnit } from './junit.js';
import { resultSchema, type ResultDocument } from './result.js';

export interface ReportPaths {
  dir: string;
  json: string;
  html: string;
  junit: string;
}

/** Write result.json, report.html and junit.xml into reports/<run-id>/. The document is validated first. */
export function writeReports(doc: ResultDocument, reportsRoot: string): ReportPaths {
  const valid = resultSchema.parse(doc);
  const dir = join(reportsRoot, valid.run_id);
  mkdirSync(dir, { recursive: true });
  const paths = { dir, json: join(dir, 'result.json'), html: join(dir, 'report.html'), junit: join(dir, 'junit.xml') };
  writeFileSync(paths.json, `${JSON.stringify(valid, null, 2)}\n`);
  writeFileSync(paths.html, renderHtml(valid));
  writeFileSync(paths.junit, renderJUnit(valid));
  return paths;
}
