/** Runs one `measure` in a worker thread (see measureInWorker) and hands its figures back. */
import { parentPort, workerData } from 'node:worker_threads';
import { measure } from './load';

const { label, url, load } = workerData;
void measure(label, url, load).then(({ rps, statusCodes }) => parentPort!.postMessage({ rps, statusCodes }));
