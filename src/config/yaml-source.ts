// Places in a YAML file, for error messages. The config and the app manifest are validated as plain
// data, each problem named by its key path (`probes[1].interval: ...`); this module parses the text
// once with a line counter and maps every such path back to the line and column where the user wrote
// it, so that every problem (and every YAML syntax error) reads `file:line:col: path: what is wrong`.

import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';

/** A parsed YAML file: its data, or its syntax errors already placed. */
export interface YamlSource {
  /** The file as it should appear in messages. */
  readonly file: string;
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** `file:line:col: message` for each syntax error; empty when the text is valid YAML. */
  readonly syntaxErrors: readonly string[];
  /** The data (undefined for an empty file); only meaningful when there are no syntax errors. */
  readonly data: unknown;
}

/**
 * Parses YAML text, placing its syntax errors (duplicate keys included).
 * @example const source = parseYamlSource('cluster: { name: prod }\n', 'gravity.yaml');
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntaxErrors = document.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const message = (error.message.split('\n')[0] ?? error.message).replace(/:\s*$/u, '');
    return `${file}:${line}:${col}: ${message}`;
  });
  const data = syntaxErrors.length === 0 ? ((document.toJS() as unknown) ?? undefined) : undefined;
  return { file, document, lineCounter, syntaxErrors, data };
}

/** Splits `probes[1].interval` into `['probes', 1, 'interval']`. */
export function splitPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/u.exec(part);
    if (match === null) {
      segments.push(part);
      continue;
    }
    if (match[1] !== undefined && match[1] !== '') segments.push(match[1]);
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/gu)) segments.push(Number(index[1]));
  }
  return segments;
}

function offsetOf(node: unknown): number | undefined {
  const range = (node as Partial<Node> | null)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

/**
 * The offset where the value at `segments` was written (or its key, with `at: 'key'`). A path that
 * leads to something missing (a required key) gives the place of the nearest enclosing value.
 */
export function locate(document: Document.Parsed, segments: readonly (string | number)[], at: 'key' | 'value'): number | undefined {
  let current: unknown = document.contents;
  let best = offsetOf(current);
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    if (isMap(current) && typeof segment === 'string') {
      const pair = current.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
      if (pair === undefined) return best;
      const keyOffset = offsetOf(pair.key);
      const valueOffset = offsetOf(pair.value);
      if (last && at === 'key') return keyOffset ?? best;
      best = valueOffset ?? keyOffset ?? best;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      const item: unknown = current.items[segment];
      if (item === undefined) return best;
      best = offsetOf(item) ?? best;
      current = item;
    } else {
      return best;
    }
  }
  return best;
}

/**
 * Places problems written as `path: message` (the validators' form) in the file, in the order of the
 * file. A problem about an unknown or invalid key points at the key, any other at the value (or, for
 * a missing key, its enclosing value).
 * @example placeProblems(source, ['probes[1].interval: must be at least 1s, got "0s"'])
 * // ['gravity.yaml:12:15: probes[1].interval: must be at least 1s, got "0s"']
 */
export function placeProblems(source: YamlSource, problems: readonly string[]): string[] {
  const placed = problems.map((problem, index) => {
    const split = problem.indexOf(': ');
    const path = split < 0 ? '' : problem.slice(0, split);
    const message = split < 0 ? problem : problem.slice(split + 2);
    const at = /^(?:unknown|invalid) key/u.test(message) ? 'key' : 'value';
    const offset = locate(source.document, path === '' ? [] : splitPath(path), at);
    if (offset === undefined) return { offset: -1, index, text: `${source.file}: ${problem}` };
    const { line, col } = source.lineCounter.linePos(offset);
    return { offset, index, text: `${source.file}:${line}:${col}: ${problem}` };
  });
  return placed.sort((a, b) => a.offset - b.offset || a.index - b.index).map((entry) => entry.text);
}

/** `what` for messages: JSON for data, so that strings show their quotes. */
export function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text;
}
