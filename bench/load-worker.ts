/** Runs the flood generator in a worker thread (see floodInWorker) and hands its figures back. */
import { parentPort, workerData } from 'node:worker_threads';
import { flood } from './flood';

const { url, load } = workerData;
void flood(url, load.keys, load.overallRate, load.seconds, load.connections, load.path).then((result) => parentPort!.postMessage(result));
