import assert from 'node:assert/strict';
import { listenError } from '../../src/api/listen-error.ts';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`listen ${code}`), { code });

describe('api/listen-error', () => {
  it('each reason gets the hint that fits it: a port in use, a privileged port, an address not of this host', () => {
    const inUse = listenError('0.0.0.0', 7575, 'the health endpoint', errno('EADDRINUSE'));
    assert.equal(inUse.code, 'E_LISTEN');
    assert.match(inUse.hint ?? '', /another process holds port 7575/);
    assert.doesNotMatch(inUse.hint ?? '', /root/);

    const privileged = listenError('0.0.0.0', 443, 'the Control Panel', errno('EACCES'));
    assert.match(privileged.hint ?? '', /run the agent as root, or set a port of 1024 or more/);
    assert.doesNotMatch(privileged.hint ?? '', /another process/);

    const foreign = listenError('10.9.9.9', 7575, 'the health endpoint', errno('EADDRNOTAVAIL'));
    assert.match(foreign.hint ?? '', /10\.9\.9\.9 is not an address of this host/);
    assert.doesNotMatch(foreign.hint ?? '', /another process|root/);
  });
});
