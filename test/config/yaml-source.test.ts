// Tests of the depth check that runs on a YAML file's text before the parser sees it.

import assert from 'node:assert/strict';
import { flowTooDeepAt, parseYamlSource } from '../../src/config/yaml-source.ts';

describe('config/yaml-source: flow nesting checked before parsing', () => {
  it('finds the bracket that goes past the limit, in flow sequences and mappings', () => {
    assert.equal(flowTooDeepAt(`a: ${'['.repeat(5)}`, 4), 7);
    assert.equal(flowTooDeepAt(`a: ${'{b: '.repeat(5)}`, 4), 3 + 4 * 4);
    assert.equal(flowTooDeepAt(`a: ${'[ '.repeat(4)}${' ]'.repeat(4)}`, 4), undefined);
  });

  it('does not count brackets in quoted scalars, comments or inside plain words', () => {
    const many = '['.repeat(100);
    assert.equal(flowTooDeepAt(`a: "${many}"\nb: '${many}'\n# ${many}\nc: x${many}\n`, 4), undefined);
    assert.equal(flowTooDeepAt(`a: "say \\"${many}"\nb: 'it''s ${many}'\n`, 4), undefined);
  });

  it('reports a text too deep at its line and column, every time alike, without parsing it', () => {
    const text = `cluster:\n  name: ${'['.repeat(100_000)}\n`;
    const first = parseYamlSource(text, 'deep.yaml').syntaxErrors;
    assert.deepEqual(first, ['deep.yaml:2:73: nested too deeply: at most 64 levels of mappings and lists']);
    assert.deepEqual(parseYamlSource(text, 'deep.yaml').syntaxErrors, first);
  });
});
