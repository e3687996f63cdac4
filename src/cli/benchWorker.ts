// Entry of a `dgiqa bench --workers N` worker thread: its own backend, model and share of the batch.
import { parentPort, workerData } from 'node:worker_threads';
import { benchWorkerMain } from './bench.js';
import type { BenchWorkerInit } from './bench.js';

if (parentPort) void benchWorkerMain(workerData as BenchWorkerInit, parentPort);
