// The program of a worker thread that hosts one supervised child (an actor, or a whole supervisor
// subtree) off the main thread. It exposes the host API of worker-protocol.ts with comlink, starts
// the child exactly as the main thread would (`startOnThisThread`) but with a launcher that cannot
// place children on further workers, publishes the child's inspection records on a worker-local bus
// whose records go to the main thread in batches (one message per tick), and reports the child's own
// exit over the dedicated port. Every process group started on this thread (a command probe's) is
// announced to the main thread as it starts and as it ends, so that the main thread can end the ones
// left behind when it terminates this thread. Whatever happens to the child afterwards, the main
// thread terminates this thread: a worker hosts one incarnation of one child.

import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { expose } from 'comlink';
import type { EventObject } from 'xstate';
import { systemClock } from '../clock.ts';
import { GravityError } from '../errors.ts';
import { createLauncher, startOnThisThread } from '../supervisor/launcher.ts';
import type { ExitReason, RunningChild } from '../supervisor/child.ts';
import type { ChildSpec, Shutdown } from '../supervisor/spec.ts';
import { nodeEndpoint } from './comlink-node.ts';
import { InspectionBus } from './inspection.ts';
import { watchProcessGroups } from './process-groups.ts';
import type { InspectionKind, InspectionRecord } from './inspection.ts';
import { forwardedKinds, isMainToWorkerMessage, toHostResult } from './worker-protocol.ts';
import type { HostedChildInfo, WorkerHostApi, WorkerToMainMessage } from './worker-protocol.ts';

/** The hosted child's life inside this thread, a documented literal union. */
type HostState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'exited';

class WorkerHost {
  private state: HostState = 'idle';
  private port: MessagePort | undefined;
  private child: RunningChild | undefined;
  private readonly bus = new InspectionBus();
  private unsubscribeForwarder: (() => void) | undefined;
  private records: InspectionRecord[] = [];
  private flushScheduled = false;
  /** Events that arrived while the child was still starting. */
  private early: EventObject[] = [];

  readonly api: WorkerHostApi = {
    start: (spec, path, port, forward) => toHostResult(() => this.start(spec, path, port, forward)),
    stop: (shutdown) => toHostResult(() => this.stop(shutdown)),
    ping: () => Date.now(),
    describe: () => toHostResult(() => this.describe()),
  };

  private async start(spec: ChildSpec, path: string, port: MessagePort, forward: InspectionKind[]): Promise<void> {
    if (this.state !== 'idle') throw new GravityError('E_INTERNAL', `${path}: this worker thread already hosts a child`);
    this.state = 'starting';
    this.port = port;
    port.on('message', (message: unknown) => this.receive(message));
    // At once, not batched: a group must be known on the main thread before this thread can be gone.
    watchProcessGroups((change) => this.post({ type: 'process-group', change }));
    // Subscribe before the child starts: inspectors skip the records nobody subscribed to.
    this.forwardKinds(forward);
    let child: RunningChild;
    try {
      child = await startOnThisThread(
        spec,
        { path, bus: this.bus, clock: systemClock, onExit: (reason) => this.childExited(reason) },
        createLauncher(),
      );
    } catch (error) {
      this.state = 'stopped';
      this.early = [];
      this.flush();
      throw error;
    }
    this.child = child;
    this.flush();
    this.post({ type: 'started' });
    if (this.state !== 'starting') return; // it already finished during start, and said so
    this.state = 'running';
    const early = this.early;
    this.early = [];
    for (const event of early) child.send(event);
  }

  private async stop(shutdown: Shutdown): Promise<ExitReason> {
    const child = this.child;
    try {
      if (child === undefined || this.state !== 'running') return { kind: 'shutdown' };
      this.state = 'stopping';
      const reason = await child.stop(shutdown);
      this.state = 'stopped';
      return reason;
    } finally {
      this.child = undefined;
      // The records of the stop, then the marker that tells the main thread it has them all.
      this.flush();
      this.post({ type: 'stopped' });
    }
  }

  private async describe(): Promise<HostedChildInfo> {
    return this.child === undefined ? {} : this.child.describe();
  }

  /** Forwards exactly the record kinds the main thread wants; changes whenever it says so. */
  private forwardKinds(kinds: InspectionKind[]): void {
    this.unsubscribeForwarder?.();
    this.unsubscribeForwarder = this.bus.subscribe((record) => this.queueRecord(record), { kinds: forwardedKinds(kinds) });
  }

  private receive(message: unknown): void {
    if (!isMainToWorkerMessage(message)) {
      // A protocol violation is a bug on one side or the other: fail loudly, the main thread sees it.
      throw new GravityError('E_INTERNAL', `unexpected message on the worker port: ${JSON.stringify(message)}`);
    }
    if (message.type === 'forward') {
      this.forwardKinds(message.kinds);
      return;
    }
    if (this.state === 'starting') {
      this.early.push(...message.events);
      return;
    }
    const child = this.child;
    if (child === undefined || (this.state !== 'running' && this.state !== 'stopping')) return;
    for (const event of message.events) child.send(event);
  }

  private childExited(reason: ExitReason): void {
    if (this.state === 'stopping' || this.state === 'stopped' || this.state === 'exited') return;
    this.state = 'exited';
    this.flush();
    this.post({ type: 'exit', reason });
  }

  private queueRecord(record: InspectionRecord): void {
    this.records.push(record);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.records.length === 0) return;
    const records = this.records;
    this.records = [];
    this.post({ type: 'inspection', records });
  }

  private post(message: WorkerToMainMessage): void {
    this.port?.postMessage(message);
  }
}

const port = parentPort;
if (port === null) throw new GravityError('E_INTERNAL', 'worker-entry must run on a worker thread');
expose(new WorkerHost().api, nodeEndpoint(port));
