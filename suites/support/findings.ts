import type { Finding } from '../../src/report/index.js';

declare module 'vitest' {
  interface TaskMeta {
    findings?: Finding[];
  }
}

/** Something the report should show, whether or not the check passes. Carried to the gate on the test's meta. */
export function recordFinding(task: { meta: { findings?: Finding[] } }, finding: Finding): void {
  (task.meta.findings ??= []).push(finding);
}
