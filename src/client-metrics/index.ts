export { ClientMetrics, clientMetrics, CLIENT_OP_LABELS, CLIENT_OP_DURATION, CLIENT_OP_ERRORS } from './client-metrics.js';
export { metricsHandler } from './handler.js';
