export { resultSchema, findingSchema, suiteResultSchema, verdictOf, RESULT_SCHEMA_VERSION, type ResultDocument, type SuiteResult, type CheckResult, type Finding } from './result.js';
export { renderHtml } from './html.js';
export { renderJUnit } from './junit.js';
export { writeReports, type ReportPaths } from './write.js';
