// Fake supervised children for supervisor unit tests: each records its starts and stops in a shared
// log, can be made to crash, finish or refuse to start, and can be slow to stop so that shutdown
// times and brutal kills are observable on a fake clock.

import sinon from 'sinon';
import type { EventObject } from 'xstate';
import type { Clock } from '../../src/clock.ts';
import { systemClock } from '../../src/clock.ts';
import type { ChildContext, ExitReason, RunningChild, TreeNodeInfo } from '../../src/supervisor/child.ts';
import type { ChildLauncher } from '../../src/supervisor/supervisor.ts';
import type { ChildSpec, Shutdown } from '../../src/supervisor/spec.ts';
import { startOnThisThread } from '../../src/supervisor/launcher.ts';

export class FakeChild implements RunningChild {
  readonly events: EventObject[] = [];
  constructor(
    readonly id: string,
    private readonly context: ChildContext,
    private readonly launcher: FakeLauncher,
  ) {}

  crash(message = 'boom'): void {
    this.context.onExit({ kind: 'error', error: { name: 'Error', message } });
  }

  finish(): void {
    this.context.onExit({ kind: 'normal' });
  }

  stop(shutdown: Shutdown): Promise<ExitReason> {
    const stopTakesMs = this.launcher.stopTakesMs.get(this.id) ?? 0;
    if (shutdown === 'brutal') {
      this.launcher.log.push(`kill ${this.id}`);
      this.launcher.release(this.id);
      return Promise.resolve({ kind: 'shutdown', killed: true });
    }
    if (stopTakesMs === 0) {
      this.launcher.log.push(`stop ${this.id}`);
      return Promise.resolve({ kind: 'shutdown' });
    }
    return new Promise((resolve) => {
      const done = (): void => {
        this.launcher.log.push(`stop ${this.id}`);
        resolve({ kind: 'shutdown' });
      };
      const timer = this.context.clock.setTimeout(done, stopTakesMs);
      if (shutdown !== 'infinity') {
        this.context.clock.setTimeout(() => {
          this.context.clock.clearTimeout(timer);
          this.launcher.log.push(`kill ${this.id}`);
          resolve({ kind: 'shutdown', killed: true });
        }, shutdown);
      }
    });
  }

  send(event: EventObject): void {
    this.events.push(event);
  }

  describe(): Promise<Pick<TreeNodeInfo, 'actorState'>> {
    return Promise.resolve({ actorState: 'fake' });
  }
}

/** Launches FakeChild for worker specs and real Supervisors for supervisor specs. */
export class FakeLauncher implements ChildLauncher {
  readonly log: string[] = [];
  readonly live = new Map<string, FakeChild>();
  readonly failStart = new Set<string>();
  readonly stopTakesMs = new Map<string, number>();

  async launch(spec: ChildSpec, context: ChildContext): Promise<RunningChild> {
    if (spec.type === 'supervisor') {
      this.log.push(`start ${spec.id}`);
      return startOnThisThread(spec, context, this);
    }
    await Promise.resolve();
    if (this.failStart.has(spec.id)) {
      this.log.push(`fail ${spec.id}`);
      throw new Error(`${spec.id} cannot start`);
    }
    this.log.push(`start ${spec.id}`);
    const child = new FakeChild(spec.id, context, this);
    this.live.set(spec.id, child);
    return child;
  }

  child(id: string): FakeChild {
    const child = this.live.get(id);
    if (child === undefined) throw new Error(`no live fake child ${id}`);
    return child;
  }

  release(id: string): void {
    this.live.delete(id);
  }

  /** The log since the last take, then cleared. */
  take(): string[] {
    return this.log.splice(0, this.log.length);
  }
}

/** Installs sinon fake timers for setTimeout/Date (not microtasks) and returns the clock. */
export function installFakeClock(): { clock: Clock; fake: sinon.SinonFakeTimers } {
  const fake = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  return { clock: systemClock, fake };
}
