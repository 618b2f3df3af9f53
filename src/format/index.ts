export { formatSeconds, formatUs } from './duration.js';
export { renderTable, type Align, type TableOptions } from './table.js';
export { formatBytes } from './bytes.js';
