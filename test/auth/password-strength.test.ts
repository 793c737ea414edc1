// The password rules: each broken rule is reported with its own sentence, all at once, and good
// passwords (long phrases, or shorter mixes) pass.

import assert from 'node:assert/strict';
import { commonPasswords, maxPasswordLength, minPasswordLength, passwordProblems, singleClassMinLength } from '../../src/auth/password-strength.ts';

const email = 'alice.smith@example.com';

function problemsMatching(password: string, pattern: RegExp): string[] {
  return passwordProblems(password, email).filter((problem) => pattern.test(problem));
}

describe('password strength', () => {
  it('accepts long phrases and shorter mixes', () => {
    for (const password of ['correct staple horse lamp', 'Tr4vel-Light-2031', 'wide open prairie skies', 'Zq8#mL2!vR5@']) {
      assert.deepEqual(passwordProblems(password, email), [], password);
    }
  });

  it('needs at least 12 characters, counting characters rather than UTF-16 units', () => {
    assert.equal(minPasswordLength, 12);
    assert.match(problemsMatching('Ab1!xyz', /at least 12/u)[0] ?? '', /it has 7/u);
    assert.deepEqual(problemsMatching('Ab1!xyzQ9#kL', /at least 12/u), []);
    assert.equal(problemsMatching('😀😀😀😀😀😀Ab1!', /at least 12/u).length, 1); // 10 characters, 16 units
  });

  it('refuses more than 1024 characters', () => {
    assert.equal(problemsMatching('Ab1!'.repeat(maxPasswordLength / 4 + 1), /at most 1024/u).length, 1);
  });

  it("refuses a password holding the email's name, whatever its case", () => {
    assert.deepEqual(problemsMatching('My-ALICE.SMITH-key-42', /email's name/u), [`it must not contain your email's name ("alice.smith")`]);
    // A name too short to mean anything is not checked.
    assert.deepEqual(passwordProblems('Bob-likes-long-walks-9', 'bo@example.com'), []);
  });

  it('refuses one kind of character below 20 characters, and says which kind', () => {
    assert.equal(singleClassMinLength, 20);
    assert.match(problemsMatching('abcdefghqrstuv', /uses only/u)[0] ?? '', /only lower-case letters/u);
    assert.match(problemsMatching('83749283749283', /uses only/u)[0] ?? '', /only digits/u);
    assert.deepEqual(problemsMatching('twentycharacterslong', /uses only/u), []);
  });

  it('refuses one character repeated, even when long', () => {
    assert.equal(problemsMatching('a'.repeat(30), /repeated/u).length, 1);
  });

  it('refuses the most common passwords, and common ones with digits and symbols around them', () => {
    assert.ok(commonPasswords.has('password'));
    assert.match(problemsMatching('qwertyuiop123', /common/u)[0] ?? '', /one of the most common/u);
    assert.match(problemsMatching('Password2024!!', /common/u)[0] ?? '', /common password \("password"\) with digits or symbols added/u);
    assert.match(problemsMatching('!!Kubernetes1234', /common/u)[0] ?? '', /"kubernetes"/u);
  });

  it('reports every broken rule at once', () => {
    const problems = passwordProblems('alice', 'alice@example.com');
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.ok(problems.some((problem) => /at least 12/u.test(problem)));
    assert.ok(problems.some((problem) => /email's name/u.test(problem)));
    assert.ok(problems.some((problem) => /uses only lower-case letters/u.test(problem)));
  });
});
