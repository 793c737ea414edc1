// Node 20 cannot start a `.ts` worker, not even under tsx (`Unknown file extension ".ts"`): the loader
// hooks of the main thread do not reach the worker. When gravity runs from source (tests, `tsx`),
// worker threads start here instead: register tsx inside the worker, then import the real entry,
// whose URL the spawner passes as `workerData.__entry`. Compiled builds start `worker-entry.js`.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
