// docs/probes.md is the operator's reference for probes: it must have a section for every built-in
// checker that names every key the checker accepts, and list every shared setting.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import '../../src/probes/checkers.ts';
import { checkers } from '../../src/probes/index.ts';

describe('docs/probes.md', () => {
  const doc = readFileSync(new URL('../../docs/probes.md', import.meta.url), 'utf8');

  it('documents every checker and each of its keys', () => {
    for (const checker of checkers.values()) {
      const start = doc.indexOf(`### \`${checker.id}\``);
      assert.ok(start !== -1, `no section for ${checker.id}`);
      const next = doc.indexOf('\n### ', start + 1);
      const section = doc.slice(start, next === -1 ? undefined : next);
      for (const key of checker.keys) assert.ok(section.includes(`\`${key}\``), `${checker.id}: key ${key} is not documented`);
    }
  });

  it('documents the shared settings', () => {
    for (const key of ['checker', 'name', 'interval', 'timeout', 'failuresBeforeFailed', 'successesBeforeRunning', 'severity']) {
      assert.ok(doc.includes(`| \`${key}\` |`), `shared setting ${key} is not documented`);
    }
  });
});
