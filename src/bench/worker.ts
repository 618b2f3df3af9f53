import { parentPort, workerData } from 'node:worker_threads';
import { parseSpec } from '../spec/index.js';
import { prepareLoad, type LoadConfig, type PreparedLoad } from './load.js';
import type { EncodedRun } from './recorder.js';
import { errorMessage } from '../errors.js';

/** Messages between the runner and a bench worker thread. */
export type ToWorker = { type: 'start'; startEpochMs: number } | { type: 'close' };
export type FromWorker = { type: 'ready' } | { type: 'done'; run: EncodedRun } | { type: 'error'; message: string };

export interface WorkerInit {
  specDoc: unknown;
  config: LoadConfig;
}

/** Worker-thread entry: prepare (op table + connections), report ready, run on 'start', post the encoded result. */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const init = workerData as WorkerInit;
  let load: PreparedLoad | undefined;
  const post = (m: FromWorker) => port.postMessage(m);
  try {
    load = await prepareLoad(parseSpec(init.specDoc, 'spec (worker)'), init.config);
    post({ type: 'ready' });
  } catch (err) {
    post({ type: 'error', message: errorMessage(err) });
    port.close();
    return;
  }
  const prepared = load;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'start') {
      prepared.run(m.startEpochMs).then(
        (run) => post({ type: 'done', run }),
        (err: unknown) => post({ type: 'error', message: errorMessage(err) }),
      );
    } else {
      void prepared.close().finally(() => port.close());
    }
  });
}

await main();
