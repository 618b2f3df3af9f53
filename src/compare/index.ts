export { configDifferences, type ConfigDifference } from './apples.js';
export { bootstrapPercentileChange, type BootstrapChange } from './bootstrap.js';
export { compareDocuments, MIN_SECONDS, type CompareOptions } from './compare.js';
export { comparisonVerdict, DISTURBED_NOTE, markDisturbed } from './disturbed.js';
export { decide } from './decide.js';
export { readComparedDocument, type ComparedDocument } from './documents.js';
export { mannWhitney, normalCdf, twoProportionGreater } from './stats.js';
export { applyOverrides, thresholdsFromSpec } from './thresholds.js';
