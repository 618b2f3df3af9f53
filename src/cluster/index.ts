export { renderRedisConf, renderDirective, CONTAINER_DATA_DIR, type ConfFlavor } from './render-conf.js';
export { initialAclFile } from './acl-file.js';
export {
  upLocalCluster,
  stopLocalCluster,
  killLocalClusterSync,
  openLocalRun,
  readState,
  liveNodes,
  type LocalCluster,
  type RunState,
  type UpOptions,
} from './local-cluster.js';
export { parseClusterNodes, parseInfo, type ClusterNodeInfo } from './cluster-nodes.js';
export { hostPort, nodeLabel, isLoopbackHost, type NodeAddress } from './address.js';
export {
  rangeContains,
  rangesContain,
  slotsOf,
  formatSlotRanges,
  ownerIndex,
  ownerMap,
  NO_OWNER,
  type SlotRange,
  type SlotServer,
} from './slot-ranges.js';
export { scanKeys, countKeys, type ScanOptions, type ScanTally } from './scan.js';
export { connectOrExplain, explainAdminError, explainConnectError, type Credentials } from './connect.js';
export { connectNode, closeNode } from './node-client.js';
export { isPortFree, assertPortsFree, findFreePortBase, BUS_PORT_OFFSET } from './ports.js';
export { runDirFor, harnessHome } from './run-dir.js';
export { requireBinary, redisServerVersion } from './binaries.js';
export { stopProcesses, isAlive, isOurRedis, withPrivateUmask } from './processes.js';
export { waitUntil } from './wait.js';
export {
  parseTargetUrl,
  resolveTarget,
  targetFromLocal,
  targetFromEnv,
  assertLoadAddresses,
  assertLoadAllowed,
  ALLOW_REMOTE_LOAD_ENV,
  targetCredentials,
  discoverNodes,
  targetSchema,
  TARGET_ENV,
  type Target,
  type TargetArgs,
  type TargetUse,
  type UrlTargetOptions,
} from './target.js';
export { PASSWORD_ENV, resolvePassword } from './password.js';
export { renderCompose } from './compose.js';
export { withCleanupOnSignal, type Cleanup } from './signals.js';
export { upCompose, downCompose, downComposeSync, detectComposeTool, type ComposeCluster } from './compose-backend.js';
export { assertDockerEngine, assertImagePresent, dockerEngineAnswers, redisImage, REDIS_IMAGE_ENV, HARNESS_LABEL } from './docker-cli.js';
export { buildRedisImage, defaultImageTag } from './redis-image.js';
export { containerNodeControl } from './container-control.js';
export { nodeControlFor } from './fault-control.js';
export { connectClusterClient, type ClusterClientOptions } from './cluster-client.js';
export { redisServersUnder, stopRedisServersUnder } from './orphans.js';
export { manualFailover, type ClusterEndpoint, type ManualFailoverOptions } from './manual-failover.js';
export { localNodeControl, resumeAllPaused, waitRejoined, type NodeControl, type RunNode } from './node-control.js';
