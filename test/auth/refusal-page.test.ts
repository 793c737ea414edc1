// The server-rendered refusal page: what happened, what to do, the commands, and nothing unescaped.

import assert from 'node:assert/strict';
import { refusalPageHtml } from '../../src/auth/refusal-page.ts';

describe('refusal page', () => {
  it('says what happened and what to do, escaping every text', () => {
    const html = refusalPageHtml({
      title: 'This signup link has expired',
      message: 'A <b>link</b> works for a limited time & this one is "done".',
      action: 'Ask an administrator for a new one:',
      commands: ['gravity users add <your email> --roles=<roles>'],
    });
    assert.match(html, /^<!doctype html>/u);
    assert.match(html, /<h1>This signup link has expired<\/h1>/u);
    assert.match(html, /A &#60;b&#62;link&#60;\/b&#62; works for a limited time &#38; this one is &#34;done&#34;\./u);
    assert.match(html, /<pre><code>gravity users add &#60;your email&#62; --roles=&#60;roles&#62;<\/code><\/pre>/u);
    assert.match(html, /href="\/login"/u);
    assert.doesNotMatch(html, /<script/u);
  });
});
