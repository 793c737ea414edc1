// Reads a supervision tree spec from a YAML or JSON file (JSON is read as YAML, of which it is a
// subset) and compiles it. Every syntax error of the file, or every problem of the spec, is reported
// at once in one error's details, each with its place.

import { readInputFile } from '../config/input-file.ts';
import { listProblems } from '../config/problem-list.ts';
import { parseYamlSource } from '../config/yaml-source.ts';
import { GravityError, isGravityError } from '../errors.ts';
import type { SupervisorSpec } from './spec.ts';
import { compileSupervisorSpec } from './spec.ts';

/** Parses a YAML or JSON document; throws E_FILE_PARSE listing every syntax error. */
export function parseSpecText(text: string, file: string): unknown {
  const source = parseYamlSource(text, file);
  if (source.syntaxErrors.length > 0) {
    throw new GravityError('E_FILE_PARSE', `cannot parse ${file}: ${source.syntaxErrors.length} syntax error(s)`, {
      details: listProblems(source.syntaxErrors),
      hint: 'a spec file is YAML or JSON; fix the places listed above',
    });
  }
  return source.data;
}

/**
 * Loads and compiles a tree spec file; throws E_FILE_UNREADABLE, E_FILE_PARSE or E_SPEC_INVALID.
 * @example const spec = loadSupervisorSpecFile('tree.yaml');
 */
export function loadSupervisorSpecFile(file: string): SupervisorSpec {
  const read = readInputFile(file, 'supervision tree spec');
  if ('error' in read) throw new GravityError(read.reason === 'too-large' ? 'E_FILE_TOO_LARGE' : 'E_FILE_UNREADABLE', read.error, { cause: read.cause });
  const input = parseSpecText(read.text, file);
  try {
    return compileSupervisorSpec(input, 'spec');
  } catch (error) {
    if (isGravityError(error, 'E_SPEC_INVALID')) {
      throw new GravityError('E_SPEC_INVALID', `invalid supervision tree spec in ${file}: ${error.details.length} problem(s)`, {
        details: listProblems(error.details),
      });
    }
    throw error;
  }
}
