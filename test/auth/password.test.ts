// Password hashing: the stored form carries its parameters and a fresh salt, the right password
// verifies and any other does not, and a stored string that is not a hash (or asks for an absurd
// cost) is refused without running scrypt on it.

import assert from 'node:assert/strict';
import { defaultScryptParameters, hashPassword, isPasswordHash, verifyPassword } from '../../src/auth/password.ts';

describe('password hashing (scrypt)', () => {
  it('stores scrypt$N$r$p$salt$hash with the default cost and verifies the password', async () => {
    const stored = await hashPassword('a long and unusual passphrase');
    const parts = stored.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', String(2 ** 15), '8', '1']);
    assert.deepEqual(defaultScryptParameters, { N: 2 ** 15, r: 8, p: 1 });
    assert.equal(Buffer.from(parts[4] ?? '', 'base64url').length, 16);
    assert.equal(Buffer.from(parts[5] ?? '', 'base64url').length, 64);
    assert.ok(isPasswordHash(stored));
    assert.equal(await verifyPassword('a long and unusual passphrase', stored), true);
    assert.equal(await verifyPassword('a long and unusual passphrasE', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  it('salts every hash: the same password hashes differently twice', async () => {
    const [a, b] = await Promise.all([hashPassword('same password twice'), hashPassword('same password twice')]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same password twice', a), true);
    assert.equal(await verifyPassword('same password twice', b), true);
  });

  it('reads the cost from the stored string, so hashes made with another cost still verify', async () => {
    const stored = await hashPassword('cheaper cost for a test', { N: 2 ** 10, r: 8, p: 1 });
    assert.ok(stored.startsWith('scrypt$1024$8$1$'));
    assert.equal(await verifyPassword('cheaper cost for a test', stored), true);
  });

  it('treats a composed and a decomposed accent as the same password (NFKC)', async () => {
    const stored = await hashPassword('caf\u00e9 au lait sans sucre', { N: 2 ** 10, r: 8, p: 1 });
    assert.equal(await verifyPassword('cafe\u0301 au lait sans sucre', stored), true);
  });

  it('refuses stored strings that are not hashes, or that ask for a cost out of bounds', async () => {
    const good = await hashPassword('x', { N: 2 ** 10, r: 8, p: 1 });
    const [, , , , salt, key] = good.split('$');
    for (const stored of [
      '',
      'plain text password',
      `bcrypt$1024$8$1$${salt}$${key}`,
      `scrypt$1000$8$1$${salt}$${key}`, // not a power of two
      `scrypt$${2 ** 30}$8$1$${salt}$${key}`, // would take gigabytes
      `scrypt$1024$99$1$${salt}$${key}`,
      `scrypt$1024$8$1$$${key}`,
      `scrypt$1024$8$1$${salt}$`,
      `scrypt$1024$8$1$${salt}$${key}$extra`,
    ]) {
      assert.equal(isPasswordHash(stored), false, stored);
      assert.equal(await verifyPassword('x', stored), false, stored);
    }
  });
});
