// Unit-file text: ExecStart quoting and escaping as systemd.service(5) reads it, path settings that
// refuse what they cannot hold, and the rendering of sections.

import assert from 'node:assert/strict';
import { execCommandLine, quoteExecArgument, renderUnit, unitPath } from '../../src/system/unit-file.ts';
import { isGravityError } from '../../src/errors.ts';

describe('system/unit-file', () => {
  it('leaves plain arguments alone and quotes the rest with C-style escapes', () => {
    assert.equal(quoteExecArgument('/usr/bin/node'), '/usr/bin/node');
    assert.equal(quoteExecArgument('--state-dir=/a/b'), '--state-dir=/a/b');
    assert.equal(quoteExecArgument('a b'), '"a b"');
    assert.equal(quoteExecArgument('say "hi"'), '"say \\"hi\\""');
    assert.equal(quoteExecArgument('back\\slash'), '"back\\\\slash"');
    assert.equal(quoteExecArgument(''), '""');
  });

  it('doubles % (specifiers) and $ (variables) so systemd expands neither', () => {
    assert.equal(quoteExecArgument('100%'), '100%%');
    assert.equal(quoteExecArgument('$HOME'), '$$HOME');
    assert.equal(quoteExecArgument('a $b %c'), '"a $$b %%c"');
  });

  it('refuses line breaks, and commands that do not start with an absolute path', () => {
    assert.throws(() => quoteExecArgument('a\nb'), (error) => isGravityError(error, 'E_USAGE'));
    assert.throws(() => execCommandLine(['node', 'x']), (error) => isGravityError(error, 'E_USAGE'));
    assert.throws(() => execCommandLine([]), (error) => isGravityError(error, 'E_USAGE'));
    assert.equal(execCommandLine(['/bin/echo', 'a b']), '/bin/echo "a b"');
  });

  it('takes paths for list settings only without whitespace or quotes', () => {
    assert.equal(unitPath('/srv/100%', 'the state dir'), '/srv/100%%');
    assert.throws(() => unitPath('/srv/a b', 'the state dir'), (error) => isGravityError(error, 'E_USAGE'));
    assert.throws(() => unitPath('/srv/"a"', 'the state dir'), (error) => isGravityError(error, 'E_USAGE'));
  });

  it('renders a leading comment and sections in order', () => {
    const text = renderUnit(
      [
        { name: 'Unit', settings: [['Description', 'x']] },
        { name: 'Service', settings: [['Type', 'exec'], ['ExecStart', '/bin/true']] },
      ],
      ['first', '', 'second'],
    );
    assert.equal(text, '# first\n#\n# second\n\n[Unit]\nDescription=x\n\n[Service]\nType=exec\nExecStart=/bin/true\n');
  });
});
