// The URLs users are sent: the panel's base URL (IPv6 in brackets) and the signup and reset pages.

import assert from 'node:assert/strict';
import { panelBaseUrl, userLinkUrl } from '../../src/auth/links.ts';

describe('user links', () => {
  it('builds the panel base URL for names, IPv4 and IPv6 addresses', () => {
    assert.equal(panelBaseUrl('10.0.0.1', 3009), 'https://10.0.0.1:3009');
    assert.equal(panelBaseUrl('panel.example.com', 443), 'https://panel.example.com:443');
    assert.equal(panelBaseUrl('fd00::1', 3009), 'https://[fd00::1]:3009');
    assert.equal(panelBaseUrl('[fd00::1]', 3009), 'https://[fd00::1]:3009');
  });

  it('puts the token on the signup or reset page', () => {
    assert.equal(userLinkUrl('https://10.0.0.1:3009', 'signup', 'abc_-123'), 'https://10.0.0.1:3009/web/newuser/abc_-123');
    assert.equal(userLinkUrl('https://10.0.0.1:3009/', 'reset', 'abc'), 'https://10.0.0.1:3009/web/reset/abc');
  });
});
