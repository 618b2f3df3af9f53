export {
  resultSchema,
  findingSchema,
  suiteResultSchema,
  verdictOf,
  RESULT_SCHEMA_VERSION,
  type ResultDocument,
  type SuiteResult,
  type CheckResult,
  type Finding,
} from './result.js';
export { renderHtml } from './html.js';
export { renderJUnit } from './junit.js';
export { writeReports, type ReportPaths } from './write.js';
export * from './perf-schema.js';
export * from './percentiles.js';
export { autocannonPercentiles, LATENCY_COLUMNS, latencyCells, latencyRecord, PEER_LATENCY_COLUMN, peerLatency } from './latency-text.js';
export { renderBenchSection, PERF_CSS } from './perf-html.js';
export { percentileChartPng, perSecondChartPng, renderChartPng } from './charts.js';
