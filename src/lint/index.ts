export { lintConfigFile, lintConfigText, formatLint, type LintReport } from './lint-config.js';
export { staticIssues, DEFAULT_CONTAINER_PATHS, type LintIssue, type StaticOptions } from './static-rules.js';
export { parseConf, type ConfLine } from './parse-conf.js';
export { lintCompose, formatComposeLint, parseMount, type ComposeLintReport, type ComposeIssue } from './compose-lint.js';
