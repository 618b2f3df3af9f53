import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../errors.js';
import { clientMetrics, type ClientMetrics } from './client-metrics.js';

/**
 * A node:http request handler serving the client metrics in Prometheus's text format: mount it on the
 * application's own server, e.g. `if (req.url === '/metrics') return handler(req, res);`. GET and HEAD only.
 */
export function metricsHandler(metrics: ClientMetrics = clientMetrics()): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET or HEAD\n');
      return;
    }
    metrics.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${errorMessage(err)}\n`);
      },
    );
  };
}
