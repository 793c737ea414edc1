// Children added to a running supervisor (startChild): started at once, restarted by their own
// restart type, forgotten once they end for good, refused under an id that is taken or once the
// supervisor stops; and stopped with the others.

import { strict as assert } from 'node:assert';
import type sinon from 'sinon';
import { InspectionBus } from '../../src/actors/inspection.ts';
import type { InspectionRecord } from '../../src/actors/inspection.ts';
import { isGravityError } from '../../src/errors.ts';
import { compileSupervisorSpec } from '../../src/supervisor/spec.ts';
import type { ActorChildSpec } from '../../src/supervisor/spec.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { FakeLauncher, installFakeClock } from '../helpers/fake-children.ts';

function dynamic(id: string, restart: ActorChildSpec['restart']): ActorChildSpec {
  return { id, type: 'worker', start: { actor: 'idle' }, restart, shutdown: 1000, thread: 'main' };
}

describe('supervisor/dynamic children', () => {
  let fake: sinon.SinonFakeTimers;
  let clock: ReturnType<typeof installFakeClock>['clock'];
  let launcher: FakeLauncher;
  let records: InspectionRecord[];
  let supervisor: Supervisor;

  beforeEach(async () => {
    ({ fake, clock } = installFakeClock());
    const bus = new InspectionBus();
    records = [];
    bus.subscribe((record) => records.push(record), { kinds: ['supervisor'] });
    launcher = new FakeLauncher();
    supervisor = new Supervisor({ path: 'root/operations', spec: compileSupervisorSpec({ intensity: 10, period: 60, children: [] }), bus, clock, launcher });
    await supervisor.start();
  });
  afterEach(() => fake.restore());

  const settle = async (): Promise<void> => {
    await fake.tickAsync(0);
    await supervisor.idle();
  };
  const ids = async (): Promise<string[]> => ((await supervisor.describe()).children ?? []).map((child) => child.id);

  it('starts a child added while running, lists it, and forgets it once it ends normally', async () => {
    await supervisor.startChild(dynamic('operation:1', 'transient'));
    assert.deepEqual(launcher.take(), ['start operation:1']);
    assert.deepEqual(await ids(), ['operation:1']);
    assert.ok(supervisor.childById('operation:1') !== undefined);
    launcher.child('operation:1').finish();
    await settle();
    assert.deepEqual(await ids(), []);
    assert.equal(supervisor.childById('operation:1'), undefined);
    assert.deepEqual(
      records.map((record) => [record.kind === 'supervisor' ? record.action : '', record.kind === 'supervisor' ? record.child : '']),
      [
        ['start', 'operation:1'],
        ['remove', 'operation:1'],
      ],
    );
  });

  it('restarts a transient child once per crash, then forgets it when it ends normally', async () => {
    await supervisor.startChild(dynamic('operation:2', 'transient'));
    launcher.take();
    launcher.child('operation:2').crash('host fault');
    await settle();
    assert.deepEqual(launcher.take(), ['start operation:2']);
    const restart = records.find((record) => record.kind === 'supervisor' && record.action === 'restart');
    assert.ok(restart?.kind === 'supervisor' && restart.reason.includes('host fault'));
    launcher.child('operation:2').finish();
    await settle();
    assert.deepEqual(await ids(), []);
  });

  it('refuses a second child under an id that runs, and any child once stopping', async () => {
    await supervisor.startChild(dynamic('operation:3', 'transient'));
    await assert.rejects(supervisor.startChild(dynamic('operation:3', 'transient')), (error: unknown) => isGravityError(error, 'E_CHILD_EXISTS'));
    await supervisor.stop();
    assert.deepEqual(launcher.take(), ['start operation:3', 'stop operation:3']);
    await assert.rejects(supervisor.startChild(dynamic('operation:4', 'transient')), (error: unknown) => isGravityError(error, 'E_SUPERVISOR_NOT_RUNNING'));
  });

  it('a child that fails to start is not kept', async () => {
    launcher.failStart.add('operation:5');
    await assert.rejects(supervisor.startChild(dynamic('operation:5', 'transient')), /cannot start/u);
    assert.deepEqual(await ids(), []);
  });
});
