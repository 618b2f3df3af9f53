export { expectedSettings, diffConfig, readConfig, type Drift } from './config-drift.js';
export { expectedConfigValue, memoryToBytes, outputBufferLimitValue } from './normalize.js';
export { checkTopology, type TopologySnapshot, type TopologyProblem, type NodeView } from './topology.js';
export { collectTopology } from './collect-topology.js';
export { checkAuth, collectAuthFacts, checkBindLoopback, type AuthFacts, type AuthProblem } from './auth.js';
