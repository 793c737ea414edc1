import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const healthDir = join(import.meta.dirname, '../../src/health');

// The health code reads the typed health signals the actors' hosts attach to their snapshot records;
// it never finds actors by their paths in the tree nor parses snapshot shapes.
describe('health: no actor path matching', () => {
  const files = readdirSync(healthDir).filter((name) => name.endsWith('.ts'));

  it('finds the health modules', () => {
    assert.ok(files.includes('model.ts') && files.includes('aggregator.ts'));
  });

  for (const file of files) {
    it(`${file} has no path prefix tests, path table or literal actor paths`, () => {
      const text = readFileSync(join(healthDir, file), 'utf8');
      assert.doesNotMatch(text, /\.startsWith\(/);
      assert.doesNotMatch(text, /healthPaths|probeStatusOf|probePrefix/);
      assert.doesNotMatch(text, /['"`]agent\//);
      assert.doesNotMatch(text, /['"`](probe|node|hook):(?!crypto|fs|path|os)/);
    });
  }
});
