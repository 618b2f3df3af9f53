export { specSchema, perfSchema, blastRadiusSchema, failoverSchema, SLOT_COUNT } from './schema.js';
export type {
  Spec,
  SpecInput,
  MasterSpec,
  ReplicaSpec,
  DirectiveValue,
  PerfSettings,
  BlastRadiusLimits,
  FailoverLimits,
  RegressionThresholds,
} from './schema.js';
export { parseSpec, loadSpec, DEFAULT_SPEC_PATH } from './load.js';
export { checkSpecRules, checkControlCharacters, type RuleViolation } from './rules.js';
export { RESERVED_DIRECTIVES } from './reserved.js';
export { clusterLayout, type NodeLayout } from './layout.js';
