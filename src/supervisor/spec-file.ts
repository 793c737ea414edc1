// Reads a supervision tree spec from a YAML or JSON file (JSON is read as YAML, of which it is a
// subset) and compiles it. Every syntax error of the file, or every problem of the spec, is reported
// at once in one error's details, each with its place.

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { GravityError, isGravityError } from '../errors.ts';
import type { SupervisorSpec } from './spec.ts';
import { compileSupervisorSpec } from './spec.ts';

/** Parses a YAML or JSON document; throws E_FILE_PARSE listing every syntax error. */
export function parseSpecText(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new GravityError('E_FILE_PARSE', `cannot parse ${file}: ${document.errors.length} syntax error(s)`, {
      details: document.errors.map((error) => (error.message.split('\n')[0] ?? error.message).replace(/:\s*$/u, '')),
      hint: 'a spec file is YAML or JSON; fix the places listed above',
    });
  }
  return document.toJS() as unknown;
}

/**
 * Loads and compiles a tree spec file; throws E_FILE_UNREADABLE, E_FILE_PARSE or E_SPEC_INVALID.
 * @example const spec = loadSupervisorSpecFile('tree.yaml');
 */
export function loadSupervisorSpecFile(file: string): SupervisorSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new GravityError('E_FILE_UNREADABLE', `cannot read ${file}: ${why}`, { cause: error });
  }
  const input = parseSpecText(text, file);
  try {
    return compileSupervisorSpec(input, 'spec');
  } catch (error) {
    if (isGravityError(error, 'E_SPEC_INVALID')) {
      throw new GravityError('E_SPEC_INVALID', `invalid supervision tree spec in ${file}: ${error.details.length} problem(s)`, {
        details: error.details,
      });
    }
    throw error;
  }
}
