// comlink ships its Node adapter as a UMD file (`module.exports = nodeEndpoint`) whose .d.ts claims
// an ES default export, so under NodeNext `tsc` reports the import as "not callable" (toolchain doc
// §3). Its declared parameter type also leans on DOM listener types this project does not load. This
// module is the one place that papers over both: a typed `nodeEndpoint` for Workers and MessagePorts.

import nodeEndpointCjs from 'comlink/dist/umd/node-adapter.js';
import type { Endpoint } from 'comlink';
import type { TransferListItem } from 'node:worker_threads';

/** What the adapter needs from a `Worker`, a `MessagePort` or `parentPort`. */
export interface NodeMessageTarget {
  postMessage(message: unknown, transferList?: readonly TransferListItem[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
  start?: () => void;
}

// At runtime the default import *is* the adapter function (module.exports); the d.ts says otherwise.
const adapter = nodeEndpointCjs as unknown as (target: NodeMessageTarget) => Endpoint;

/**
 * Wraps a Node message target as a comlink endpoint.
 * @example const api = wrap<WorkerHostApi>(nodeEndpoint(worker));
 */
export function nodeEndpoint(target: NodeMessageTarget): Endpoint {
  return adapter(target);
}
