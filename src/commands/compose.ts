import { relative } from 'node:path';
import { renderCompose } from '../cluster/index.js';
import { PROJECT_ROOT } from '../paths.js';
import { loadSpec } from '../spec/index.js';

export function composeCommand(o: { spec: string; portBase: number }): string {
  return renderCompose(loadSpec(o.spec), o.portBase, relative(PROJECT_ROOT, o.spec));
}
