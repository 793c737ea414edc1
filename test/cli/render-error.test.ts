// How errors end a command: one line, details and a hint for user errors; `internal error` for the
// unexpected; stacks only with --debug; commander's usage errors exit 2.

import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { ExitCode, GravityError } from '../../src/errors.ts';
import { renderError } from '../../src/cli/render-error.ts';

const stackLine = /^\s+at /m;

describe('cli/render-error', () => {
  it('a user error: one line, its details indented, the hint; the catalogue exit code; no stack', () => {
    const error = new GravityError('E_SPEC_INVALID', 'invalid supervision tree spec in t.yaml: 2 problem(s)', {
      details: ['spec.strategy: bad', 'spec.children[0].id: bad'],
    });
    const { text, exitCode } = renderError(error, { debug: false });
    assert.equal(exitCode, ExitCode.usage);
    assert.deepEqual(text.split('\n'), [
      'error: invalid supervision tree spec in t.yaml: 2 problem(s)',
      '  spec.strategy: bad',
      '  spec.children[0].id: bad',
      'hint: fix every error listed above; docs/supervision.md describes the spec',
      '',
    ]);
  });

  it('the not-running error is exactly one error line and a hint, exit 3', () => {
    const error = new GravityError('E_AGENT_NOT_RUNNING', "no agent is running for state dir /x: start it with 'gravity start'", {
      hint: 'pass the same --state-dir',
    });
    const { text, exitCode } = renderError(error, { debug: false });
    assert.equal(exitCode, ExitCode.agentState);
    assert.equal(text, "error: no agent is running for state dir /x: start it with 'gravity start'\nhint: pass the same --state-dir\n");
  });

  it('an internal catalogue error keeps its exit code and suggests --debug', () => {
    const { text, exitCode } = renderError(new GravityError('E_SUPERVISOR_GAVE_UP'), { debug: false });
    assert.equal(exitCode, ExitCode.supervisorGaveUp);
    assert.match(text, /^error: a supervisor reached its restart intensity and gave up\nhint: run again with --debug/);
    assert.doesNotMatch(text, stackLine);
  });

  it('an unexpected error: "internal error", exit 1, stack only with --debug (with its causes)', () => {
    const error = new TypeError('x is undefined', { cause: new Error('root cause') });
    const plain = renderError(error, { debug: false });
    assert.equal(plain.exitCode, ExitCode.internal);
    assert.match(plain.text, /^error: internal error: x is undefined\n/);
    assert.doesNotMatch(plain.text, stackLine);

    const debug = renderError(error, { debug: true });
    assert.equal(debug.exitCode, ExitCode.internal);
    assert.match(debug.text, stackLine);
    assert.match(debug.text, /caused by: Error: root cause/);
  });

  it('a thrown non-Error is still one line', () => {
    assert.equal(renderError('just a string', { debug: false }).text.split('\n')[0], 'error: internal error: just a string');
  });

  it("commander's errors: already printed; help and version exit 0, usage errors exit 2", () => {
    assert.deepEqual(renderError(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), { debug: false }), { text: '', exitCode: 0 });
    assert.deepEqual(renderError(new CommanderError(0, 'commander.version', '1.0.0'), { debug: false }), { text: '', exitCode: 0 });
    assert.deepEqual(renderError(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), { debug: false }), {
      text: '',
      exitCode: ExitCode.usage,
    });
    assert.equal(renderError(new CommanderError(1, 'commander.help', '(outputHelp)'), { debug: true }).exitCode, ExitCode.usage);
  });
});
