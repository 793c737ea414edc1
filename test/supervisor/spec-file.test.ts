// Spec files: YAML or JSON, every syntax error or spec problem reported at once, each with its place.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGravityError } from '../../src/errors.ts';
import { loadSupervisorSpecFile } from '../../src/supervisor/spec-file.ts';
import { failure } from '../helpers/failure.ts';
import { aliasBomb, deepFlow } from '../helpers/hostile-yaml.ts';

describe('supervisor/spec-file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gravity-spec-file-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('reads the same tree from YAML and from JSON', () => {
    const yaml = loadSupervisorSpecFile(file('t.yaml', 'intensity: 3\nchildren:\n  - id: a\n    start: { actor: idle }\n'));
    const json = loadSupervisorSpecFile(file('t.json', '{"intensity":3,"children":[{"id":"a","start":{"actor":"idle"}}]}'));
    assert.deepEqual(yaml, json);
    assert.equal(yaml.intensity, 3);
    assert.equal(yaml.children[0]?.id, 'a');
  });

  it('reports every spec problem at once', () => {
    const path = file('bad.yaml', 'strategy: nope\nperiod: 0\nchildren:\n  - id: a\n  - start: { actor: idle }\n');
    assert.throws(() => loadSupervisorSpecFile(path), (error) => {
      assert.ok(isGravityError(error, 'E_SPEC_INVALID'));
      assert.match(error.message, /bad\.yaml/);
      assert.ok(error.details.length >= 4, error.details.join('\n'));
      return true;
    });
  });

  it('reports syntax errors with their line, duplicate keys included', () => {
    const path = file('dup.yaml', 'children: []\nchildren: []\n');
    assert.throws(() => loadSupervisorSpecFile(path), (error) => {
      assert.ok(isGravityError(error, 'E_FILE_PARSE'));
      assert.match(error.details[0] ?? '', /dup\.yaml:2:1: children: duplicate key \(first at line 1\)/);
      return true;
    });
  });

  it('refuses a spec over 1 MiB, a device, an alias bomb and deep nesting as user errors', () => {
    const big = failure(() => loadSupervisorSpecFile(file('big.yaml', `children: []\n# ${'x'.repeat(1024 * 1024)}\n`)));
    assert.equal(big.code, 'E_FILE_TOO_LARGE');
    assert.match(big.message, /supervision tree spec .*big\.yaml is larger than 1 MiB/u);
    assert.equal(failure(() => loadSupervisorSpecFile('/dev/zero')).code, 'E_FILE_UNREADABLE');
    const bomb = failure(() => loadSupervisorSpecFile(file('bomb.yaml', aliasBomb('children'))));
    assert.equal(bomb.code, 'E_FILE_PARSE');
    assert.match(bomb.details[0] ?? '', /bomb\.yaml:2:10: too many aliases/u);
    const deep = failure(() => loadSupervisorSpecFile(file('deep.yaml', deepFlow('children', 100_000, true))));
    assert.equal(deep.code, 'E_FILE_PARSE');
    assert.match(deep.details[0] ?? '', /deep\.yaml:1:\d+: nested too deeply/u);
  });

  it('says E_FILE_UNREADABLE for a missing file', () => {
    assert.throws(() => loadSupervisorSpecFile(join(dir, 'none.yaml')), (error) => isGravityError(error, 'E_FILE_UNREADABLE'));
  });
});
