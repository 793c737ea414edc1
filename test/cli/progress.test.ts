// The progress reporter against a fake stream and sinon's fake timers: whole lines without a
// terminal (with a reminder that a long phase still runs), a ticker redrawn in place at most every
// 100 ms on a terminal and erased before every line and at the end, parallel phases, rollbacks and
// dry runs, colour, a narrow terminal, --quiet, and no timer left behind.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { systemClock } from '../../src/clock.ts';
import { createProgress, minRedrawMs } from '../../src/cli/progress.ts';
import type { ProgressOptions, ProgressReporter } from '../../src/cli/progress.ts';

const erase = '\r\u001b[2K';

class FakeStream {
  readonly chunks: string[] = [];
  constructor(readonly columns?: number) {}
  write(text: string): boolean {
    this.chunks.push(text);
    return true;
  }
  /** Everything written since the last take, then cleared. */
  take(): string {
    return this.chunks.splice(0, this.chunks.length).join('');
  }
  /** What a terminal shows: each erase-and-redraw replaces the current line. */
  screen(): string {
    let shown = '';
    for (const chunk of this.chunks) {
      if (chunk.startsWith(erase)) shown = shown.slice(0, shown.lastIndexOf('\n') + 1) + chunk.slice(erase.length);
      else shown += chunk;
    }
    return shown;
  }
}

describe('cli/progress', () => {
  let fake: sinon.SinonFakeTimers;
  let stream: FakeStream;

  beforeEach(() => {
    fake = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    stream = new FakeStream();
  });

  afterEach(() => {
    fake.restore();
  });

  function progress(options: Partial<ProgressOptions> = {}): ProgressReporter {
    return createProgress({ stream, tty: false, clock: systemClock, ...options });
  }

  describe('without a terminal', () => {
    it('writes one line as a phase starts and one as it ends, with how long it took', () => {
      const reporter = progress();
      reporter.phaseStarted({ phaseId: '/init/mkdir' });
      assert.equal(stream.take(), 'Executing "/init/mkdir" locally\n');
      fake.tick(1234);
      assert.equal(stream.take(), '');
      reporter.phaseCompleted('/init/mkdir');
      reporter.phaseStarted({ phaseId: '/masters/node-2/drain', node: 'node-2' });
      fake.tick(2500);
      reporter.phaseFailed('/masters/node-2/drain', 'exit status 1\nmore detail');
      reporter.stop();
      assert.equal(
        stream.take(),
        'Completed "/init/mkdir" in 1.2s\nExecuting "/masters/node-2/drain" on remote node node-2\nFailed "/masters/node-2/drain" after 2.5s: exit status 1\n',
      );
      assert.equal(fake.countTimers(), 0);
    });

    it('says every 10 s that a long phase still runs, and stops saying it when the phase ends', () => {
      const reporter = progress();
      reporter.phaseStarted({ phaseId: '/app/migrate' });
      stream.take();
      fake.tick(9_999);
      assert.equal(stream.take(), '');
      fake.tick(1);
      assert.equal(stream.take(), '\tStill executing "/app/migrate" locally (10s elapsed)\n');
      fake.tick(10_000);
      assert.equal(stream.take(), '\tStill executing "/app/migrate" locally (20s elapsed)\n');
      fake.tick(5_000);
      reporter.phaseCompleted('/app/migrate');
      assert.equal(stream.take(), 'Completed "/app/migrate" in 25s\n');
      assert.equal(fake.countTimers(), 0);
      fake.tick(60_000);
      assert.equal(stream.take(), '');
    });

    it('never writes an escape code unless asked for colour, and then only around a failure', () => {
      const reporter = progress({ color: true });
      reporter.phaseStarted({ phaseId: '/a' });
      reporter.phaseCompleted('/a');
      reporter.phaseStarted({ phaseId: '/b' });
      fake.tick(100);
      reporter.phaseFailed('/b', 'boom');
      assert.equal(stream.take(), 'Executing "/a" locally\nCompleted "/a" in 0ms\nExecuting "/b" locally\n\u001b[31mFailed "/b" after 100ms: boom\u001b[0m\n');
    });
  });

  describe('rollbacks', () => {
    it('prints the rollback lines, and for a dry run the [DRY-RUN] line alone with nothing running', () => {
      const reporter = progress();
      reporter.phaseStarted({ phaseId: '/masters/node-2/untaint', action: 'rollback' });
      fake.tick(300);
      reporter.phaseCompleted('/masters/node-2/untaint');
      reporter.phaseStarted({ phaseId: '/masters/node-2/health', node: 'node-2', action: 'rollback' });
      fake.tick(1500);
      reporter.phaseFailed('/masters/node-2/health', 'agent gone');
      reporter.phaseStarted({ phaseId: '/masters/node-2/elect', node: 'node-2', action: 'rollback', dryRun: true });
      assert.equal(fake.countTimers(), 0, 'a dry run starts no timer');
      assert.equal(
        stream.take(),
        [
          'Rolling back "/masters/node-2/untaint" locally',
          'Rolled back "/masters/node-2/untaint" in 300ms',
          'Rolling back "/masters/node-2/health" on node node-2',
          'Rollback of "/masters/node-2/health" failed after 1.5s: agent gone',
          '[DRY-RUN] Rolling back "/masters/node-2/elect" on node node-2',
          '',
        ].join('\n'),
      );
    });
  });

  describe('on a terminal', () => {
    it('redraws a ticker with the running phase and its time at most every 100 ms, and erases it before the end line', () => {
      const reporter = progress({ tty: true });
      reporter.phaseStarted({ phaseId: '/init/mkdir' });
      assert.equal(stream.take(), 'Executing "/init/mkdir" locally\n');
      fake.tick(minRedrawMs - 1);
      assert.equal(stream.take(), '', 'nothing before 100 ms: a quick phase never flickers');
      fake.tick(1);
      assert.equal(stream.take(), `${erase}→ Executing "/init/mkdir" locally (0.1s)`);
      fake.tick(100);
      assert.equal(stream.take(), `${erase}→ Executing "/init/mkdir" locally (0.2s)`);
      fake.tick(1034);
      const redraws = stream.take().split(erase).filter((part) => part !== '');
      assert.equal(redraws.length, 10, 'one redraw per 100 ms');
      assert.equal(redraws.at(-1), '→ Executing "/init/mkdir" locally (1.2s)');
      reporter.phaseCompleted('/init/mkdir');
      assert.equal(stream.take(), `${erase}Completed "/init/mkdir" in 1.2s\n`);
      fake.tick(1000);
      assert.equal(stream.take(), '', 'no ticker once nothing runs');
      assert.equal(fake.countTimers(), 0, 'and no timer to keep the process alive');
    });

    it('shows what the terminal shows: finished lines above, the ticker below, cleared at the end', () => {
      const reporter = progress({ tty: true, total: 3 });
      reporter.phaseStarted({ phaseId: '/a' });
      fake.tick(250);
      reporter.phaseCompleted('/a');
      reporter.phaseStarted({ phaseId: '/b' });
      fake.tick(150);
      reporter.print('a note from the engine');
      fake.tick(100);
      assert.equal(stream.screen(), 'Executing "/a" locally\nCompleted "/a" in 250ms\nExecuting "/b" locally\na note from the engine\n[1/3] → Executing "/b" locally (0.2s)');
      reporter.stop();
      assert.equal(stream.screen(), 'Executing "/a" locally\nCompleted "/a" in 250ms\nExecuting "/b" locally\na note from the engine\n');
      assert.equal(fake.countTimers(), 0);
    });

    it('lists phases that run at once, each with its own time', () => {
      const reporter = progress({ tty: true, total: 12 });
      reporter.phaseStarted({ phaseId: '/nodes/node-1' });
      fake.tick(50);
      reporter.phaseStarted({ phaseId: '/nodes/node-2', node: 'node-2' });
      fake.tick(50);
      assert.equal(stream.chunks.at(-1), `${erase}[ 0/12] → 2 phases running: /nodes/node-1 (0.1s), /nodes/node-2 (0.0s)`);
      reporter.phaseCompleted('/nodes/node-1');
      fake.tick(100);
      assert.equal(stream.chunks.at(-1), `${erase}[ 1/12] → Executing "/nodes/node-2" on remote node node-2 (0.1s)`);
      reporter.stop();
    });

    it('cuts the ticker to the width of the terminal so that it never wraps', () => {
      stream = new FakeStream(30);
      const reporter = progress({ tty: true });
      reporter.phaseStarted({ phaseId: '/a/very/long/phase/identifier' });
      fake.tick(100);
      const ticker = stream.chunks.at(-1) ?? '';
      assert.equal(ticker, `${erase}→ Executing "/a/very/long/ph…`);
      assert.equal([...ticker.slice(erase.length)].length, 29);
      reporter.stop();
    });

    it('keeps to one redraw per 100 ms however many quick phases run', () => {
      const reporter = progress({ tty: true });
      for (let index = 0; index < 1000; index++) {
        reporter.phaseStarted({ phaseId: `/p/${index}` });
        fake.tick(3);
        reporter.phaseCompleted(`/p/${index}`);
      }
      reporter.stop();
      const redraws = stream.chunks.filter((chunk) => chunk.startsWith(erase) && chunk.length > erase.length);
      assert.ok(redraws.length <= 3000 / minRedrawMs, `${redraws.length} redraws in 3 s`);
      assert.equal(stream.chunks.filter((chunk) => chunk.startsWith('Completed')).length, 1000);
      assert.ok(!stream.screen().includes('→'), 'no ticker left on the screen');
    });

    it('does not print the "still running" reminders (the ticker shows the time)', () => {
      const reporter = progress({ tty: true });
      reporter.phaseStarted({ phaseId: '/slow' });
      fake.tick(30_000);
      assert.ok(!stream.chunks.some((chunk) => chunk.includes('Still')));
      assert.ok(stream.screen().endsWith('→ Executing "/slow" locally (30.0s)'));
      fake.tick(45_000);
      assert.ok(stream.screen().endsWith('→ Executing "/slow" locally (1m15s)'));
      reporter.stop();
    });
  });

  describe('quiet and stopped', () => {
    it('--quiet writes nothing and starts no timer', () => {
      const reporter = progress({ tty: true, quiet: true });
      reporter.phaseStarted({ phaseId: '/a' });
      reporter.print('note');
      fake.tick(20_000);
      reporter.phaseFailed('/a', 'boom');
      reporter.stop();
      assert.deepEqual(stream.chunks, []);
      assert.equal(fake.countTimers(), 0);
    });

    it('after stop, nothing more is written', () => {
      const reporter = progress();
      reporter.phaseStarted({ phaseId: '/a' });
      reporter.stop();
      stream.take();
      reporter.phaseCompleted('/a');
      reporter.phaseStarted({ phaseId: '/b' });
      reporter.print('late');
      fake.tick(20_000);
      reporter.stop();
      assert.equal(stream.take(), '');
      assert.equal(fake.countTimers(), 0);
    });

    it('a phase that ends without having been started is reported without a time', () => {
      const reporter = progress();
      reporter.phaseCompleted('/x');
      reporter.phaseFailed('/y', 'boom');
      assert.equal(stream.take(), 'Completed "/x"\nFailed "/y": boom\n');
    });
  });

  describe('control characters in what a phase says', () => {
    const hostile = 'x\u001b[31mred\u001b]0;title\u0007\rover\u009b2J';
    const shown = 'x\\u001b[31mred\\u001b]0;title\\u0007\\u000dover\\u009b2J';
    
    it('a failed phase\'s error and a printed line are shown escaped, the red of a failure kept, on a terminal too', () => {
      const reporter = progress({ tty: true, color: true });
      reporter.phaseFailed('/y', hostile);
      reporter.print(`warning: ${hostile}`);
      assert.equal(stream.take(), `\u001b[31mFailed "/y": ${shown}\u001b[0m\nwarning: ${shown}\n`);
    });
  });
});
