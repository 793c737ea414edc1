// The operation machine with its effects provided: a performed request ends `finished` with the
// outcome, a failing perform (a fault of the host code) ends `crashed` with the error in its output
// (what its supervisor reads as an abnormal exit), and SHUTDOWN asks the run to stop, then waits for
// it to end before the machine does.

import { strict as assert } from 'node:assert';
import { createActor, fromPromise, toPromise } from 'xstate';
import { operationMachine } from '../../src/machines/operation.ts';
import type { OperationMachineInput, PerformOutcome } from '../../src/machines/operation.ts';

const input: OperationMachineInput = { request: { action: 'resume', operationId: 'op-1' } };

describe('machines/operation', () => {
  it('finishes with the outcome of a performed request, failed ones included', async () => {
    for (const result of ['succeeded', 'failed'] as const) {
      const logic = operationMachine.provide({ actors: { perform: fromPromise<PerformOutcome, OperationMachineInput>(() => Promise.resolve({ result })) } });
      const actor = createActor(logic, { input }).start();
      assert.deepEqual(await toPromise(actor), { result });
      assert.equal(actor.getSnapshot().value, 'finished');
    }
  });

  it('ends crashed, with the error in its output, when perform fails', async () => {
    const logic = operationMachine.provide({
      actors: { perform: fromPromise<PerformOutcome, OperationMachineInput>(() => Promise.reject(new Error('host fault'))) },
    });
    const actor = createActor(logic, { input }).start();
    assert.deepEqual(await toPromise(actor), { result: 'crashed', error: 'host fault' });
    assert.equal(actor.getSnapshot().value, 'crashed');
  });

  it('SHUTDOWN asks the run to stop, once, and the machine waits until perform has ended', async () => {
    let release: (outcome: PerformOutcome) => void = () => undefined;
    let stops = 0;
    let performed: OperationMachineInput | undefined;
    const logic = operationMachine.provide({
      actors: {
        perform: fromPromise<PerformOutcome, OperationMachineInput>(({ input: given }) => {
          performed = given;
          return new Promise((resolve) => {
            release = resolve;
          });
        }),
      },
      actions: { stopRun: () => (stops += 1) },
    });
    const actor = createActor(logic, { input }).start();
    assert.deepEqual(performed, input);
    actor.send({ type: 'SHUTDOWN' });
    actor.send({ type: 'SHUTDOWN' });
    assert.equal(actor.getSnapshot().value, 'running');
    assert.equal(actor.getSnapshot().context.stopping, true);
    assert.equal(stops, 1);
    release({ result: 'failed' });
    assert.deepEqual(await toPromise(actor), { result: 'failed' });
  });
});
