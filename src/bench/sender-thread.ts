import { parentPort, workerData } from 'node:worker_threads';
import { runOpenLoopSender, type SenderInit } from './open-loop-sender.js';

// Sender thread entry: run the open loop, post the report. Errors reach the parent as the worker's 'error'.
parentPort?.postMessage(runOpenLoopSender(workerData as SenderInit));
