import assert from 'node:assert/strict';
import { styledTerminalText, terminalLine, terminalText } from '../../src/cli/terminal-text.ts';
import { makeProgram, terminalSafeOutput } from '../../src/cli/program.ts';
import type { CliOutput } from '../../src/cli/program.ts';

/** Every control character a terminal could act on; newline and tab are checked apart. */
// eslint-disable-next-line no-control-regex -- the point of the test
const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const hostile = 'a\u001b[31mred\u001b]0;title\u0007\rover\u009b2Jb\u007f\u0000';

describe('cli/terminal-text', () => {
  it('makes every control character visible as \\uXXXX, keeping newline and tab', () => {
    assert.equal(terminalText(hostile), 'a\\u001b[31mred\\u001b]0;title\\u0007\\u000dover\\u009b2Jb\\u007f\\u0000');
    assert.equal(terminalText('line 1\n\tline 2'), 'line 1\n\tline 2');
    assert.equal(terminalText('naïve ✓ 日本'), 'naïve ✓ 日本', 'printable text outside ASCII is left alone');
    assert.doesNotMatch(terminalText(hostile), rawControl);
  });

  it('escaping twice changes nothing', () => {
    assert.equal(terminalText(terminalText(hostile)), terminalText(hostile));
    assert.equal(styledTerminalText(styledTerminalText(hostile)), styledTerminalText(hostile));
  });

  it('terminalLine keeps a value on one line: newline and tab are made visible too', () => {
    assert.equal(terminalLine('a\nb\tc\u001b'), 'a\\u000ab\\u0009c\\u001b');
  });

  it("styled output keeps gravity's own colours and line clearing, and nothing else", () => {
    const own = '\u001b[31mFailed\u001b[0m \u001b[32mok\u001b[0m \u001b[34mblue\u001b[0m\r\u001b[2Kticker';
    assert.equal(styledTerminalText(own), own);
    assert.equal(styledTerminalText('\u001b[2J\u001b]0;x\u0007\rx\u009b1m'), '\\u001b[2J\\u001b]0;x\\u0007\\u000dx\\u009b1m');
  });

  it('JSON stays valid JSON with the same data (C1 and DEL, which JSON.stringify leaves raw, become JSON escapes)', () => {
    const data = { description: hostile, nested: ['\u0085', '\u009b'] };
    const printed = terminalText(`${JSON.stringify(data, null, 2)}\n`);
    assert.doesNotMatch(printed, rawControl);
    assert.deepEqual(JSON.parse(printed), data);
  });

  it('every command writes through it: the program wraps whatever output it is given', async () => {
    const written: string[] = [];
    const capture: CliOutput = { out: (text) => written.push(text), err: (text) => written.push(text) };
    terminalSafeOutput(capture).out(hostile);
    assert.equal(written.pop(), terminalText(hostile));
    // Commander's own output (an unknown command quoting what was typed) goes the same way.
    const program = makeProgram(capture);
    await assert.rejects(program.parseAsync(['node', 'gravity', `no\u001b]0;x\u0007such`]));
    assert.ok(written.length > 0);
    for (const text of written) assert.doesNotMatch(text, rawControl);
  });
});
