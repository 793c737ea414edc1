// Reads a supervision tree spec from a YAML or JSON file (JSON is read as YAML, of which it is a
// subset) and compiles it. Every syntax error of the file, or every problem of the spec, is reported
// at once in one error's details, each with its place.

import { readInputFile } from '../config/input-file.ts';
import { listProblems } from '../config/problem-list.ts';
import { parseYamlSource, placeProblems } from '../config/yaml-source.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type { SupervisorSpec } from './spec.ts';
import { compileSupervisorSpec } from './spec.ts';

/** Parses a YAML or JSON document, keeping the places of its nodes; throws E_FILE_PARSE listing every syntax error. */
function parseSpecSource(text: string, file: string): YamlSource {
  const source = parseYamlSource(text, file);
  if (source.syntaxErrors.length > 0) {
    throw new GravityError('E_FILE_PARSE', `cannot parse ${file}: ${source.syntaxErrors.length} syntax error(s)`, {
      details: listProblems(source.syntaxErrors),
      hint: 'a spec file is YAML or JSON; fix the places listed above',
    });
  }
  return source;
}

/** Parses a YAML or JSON document; throws E_FILE_PARSE listing every syntax error. */
export function parseSpecText(text: string, file: string): unknown {
  return parseSpecSource(text, file).data;
}

/**
 * `spec.children[0](a).id: ...` placed as `file:line:col: spec.children[0](a).id: ...`: the spec's
 * paths start at `spec` and name children after their index, which the lookup leaves out.
 */
function placeSpecProblems(source: YamlSource, problems: readonly string[]): string[] {
  return placeProblems(source, problems, { locatedPath: (path) => path.replace(/^spec(?:\.|$)/u, '').replace(/\([^)]*\)/gu, '') });
}

/**
 * Loads and compiles a tree spec file; throws E_FILE_UNREADABLE, E_FILE_TOO_LARGE, E_FILE_PARSE or
 * E_SPEC_INVALID (every problem placed as `file:line:col: path: what is wrong`).
 * @example const spec = loadSupervisorSpecFile('tree.yaml');
 */
export function loadSupervisorSpecFile(file: string): SupervisorSpec {
  const read = readInputFile(file, 'supervision tree spec');
  if ('error' in read) throw new GravityError(read.reason === 'too-large' ? 'E_FILE_TOO_LARGE' : 'E_FILE_UNREADABLE', read.error, { cause: read.cause });
  const source = parseSpecSource(read.text, file);
  try {
    return compileSupervisorSpec(source.data, 'spec');
  } catch (error) {
    if (isGravityError(error, 'E_SPEC_INVALID')) {
      throw new GravityError('E_SPEC_INVALID', `invalid supervision tree spec in ${file}: ${error.details.length} problem(s)`, {
        details: listProblems(placeSpecProblems(source, error.details)),
      });
    }
    throw error;
  }
}
