// Long texts cut for the panel: short ones untouched, long ones cut to their head with a marker
// naming their full size in bytes, never splitting a surrogate pair.

import assert from 'node:assert/strict';
import { truncateText, truncationMarker } from '../../src/api/truncated-text.ts';

describe('api/truncated-text', () => {
  it('keeps a text within the limit as it is', () => {
    assert.equal(truncateText('', 4), '');
    assert.equal(truncateText('abcd', 4), 'abcd');
  });

  it('cuts a longer one to its head and says how many bytes it had', () => {
    assert.equal(truncateText('abcdefgh', 4), `abcd${truncationMarker(8)}`);
    assert.equal(truncateText('ééééé', 2), `éé${truncationMarker(10)}`);
  });

  it('takes the full size from the caller when given only a head of the text', () => {
    assert.equal(truncateText('abcde', 4, 50_000_000), 'abcd… [truncated: 50000000 bytes in all]');
  });

  it('never leaves half of a surrogate pair', () => {
    const cut = truncateText('a😀😀', 2);
    assert.ok(cut.startsWith('a…'), cut);
    assert.doesNotThrow(() => encodeURIComponent(cut));
  });
});
