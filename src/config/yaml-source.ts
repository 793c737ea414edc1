// Places in a YAML file, for error messages. The config and the app manifest are validated as plain
// data, each problem named by its key path (`probes[1].interval: ...`); this module parses the text
// once with a line counter and maps every such path back to the line and column where the user wrote
// it, so that every problem (and every YAML syntax error) reads `file:line:col: path: what is wrong`.
// It also enforces what the parser leaves open (src/config/limits.ts): the text's size, duplicate
// keys, nesting depth, string lengths and alias expansion, each in time linear in the file.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import { formatBytes, maxAliasCount, maxFileBytes, maxNestingDepth, maxStringLength } from './limits.ts';

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

/** What the YAML parser says when a document is nested deeper than its stack allows. */
const stackOverflow = /maximum call stack size exceeded/iu;
const tooDeep = `nested too deeply: at most ${maxNestingDepth} levels of mappings and lists`;

interface Found {
  offset: number;
  message: string;
}

/** `probes[1]` and `probes[1].name`, as the validators write paths. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** The parser's messages quote what it could not read: a long quote is cut, its length named. */
function clip(message: string): string {
  return message.length > 2 * maxShownLength ? `${message.slice(0, 2 * maxShownLength - 1)}… (${message.length} chars)` : message;
}

/** The most characters of a key path that a message shows. */
const maxShownPathLength = 120;

/** A key path for messages: a path made long by a huge key is cut, its length named. */
export function shortPath(path: string): string {
  return path.length > maxShownPathLength ? `${path.slice(0, maxShownPathLength - 1)}… (${path.length} chars)` : path;
}

/**
 * Checks what the YAML parser leaves to us, in one pass over the parsed nodes (never recursive, so
 * that no nesting can exhaust the stack): duplicate keys, nesting depth and string lengths. Also
 * returns the first alias, where an alias bomb is reported.
 */
function checkNodes(document: Document.Parsed, lineCounter: LineCounter): { found: Found[]; firstAlias?: number } {
  const found: Found[] = [];
  let firstAlias: number | undefined;
  const stack: { node: unknown; depth: number; path: string }[] = [{ node: document.contents, depth: 0, path: '' }];
  let reportedDepth = false;
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    const offset = offsetOf(node) ?? 0;
    if (isAlias(node)) {
      firstAlias = firstAlias === undefined ? offset : Math.min(firstAlias, offset);
    } else if (isScalar(node)) {
      if (typeof node.value === 'string' && node.value.length > maxStringLength) {
        found.push({ offset, message: `${path === '' ? '(top level)' : shortPath(path)}: must be at most ${maxStringLength} characters long, got ${show(node.value)}` });
      }
    } else if (isMap(node) || isSeq(node)) {
      if (depth >= maxNestingDepth) {
        if (!reportedDepth) found.push({ offset, message: tooDeep });
        reportedDepth = true;
        continue;
      }
      if (isSeq(node)) {
        node.items.forEach((item, index) => stack.push({ node: item, depth: depth + 1, path: childPath(path, index) }));
        continue;
      }
      const seen = new Map<string, number>();
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const key: unknown = item.key;
        const name = isScalar(key) ? String(key.value) : undefined;
        if (name !== undefined) {
          const keyOffset = offsetOf(key) ?? offset;
          const first = seen.get(name);
          if (first === undefined) seen.set(name, keyOffset);
          else found.push({ offset: keyOffset, message: `${shortPath(childPath(path, name))}: duplicate key (first at line ${lineCounter.linePos(first).line}): map keys must be unique` });
        }
        stack.push({ node: key, depth: depth + 1, path: childPath(path, name ?? '?') });
        stack.push({ node: item.value, depth: depth + 1, path: childPath(path, name ?? '?') });
      }
    }
  }
  return firstAlias === undefined ? { found } : { found, firstAlias };
}

function place(file: string, lineCounter: LineCounter, offset: number, message: string): string {
  const { line, col } = lineCounter.linePos(offset);
  return `${file}:${line}:${col}: ${message}`;
}

const blanks = new Set([' ', '\t', '\n', '\r']);

/**
 * Where flow collections (`[`, `{`) first nest deeper than `limit`, from the text alone, before the
 * parser sees it: the parser recurses once per level, so a deep enough text exhausts its stack at a
 * depth that depends on the stack's state, and what it then reports is a guess. Quoted scalars and
 * comments are skipped; a bracket inside a plain word (`x[1]`) does not count.
 */
export function flowTooDeepAt(text: string, limit: number): number | undefined {
  let depth = 0;
  let tokenStart = true;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] ?? '';
    if (char === '#' && blanks.has(text[index - 1] ?? '\n')) {
      const end = text.indexOf('\n', index);
      if (end < 0) return undefined;
      index = end;
      tokenStart = true;
      continue;
    }
    if ((char === "'" || char === '"') && tokenStart) {
      let end = index + 1;
      while (end < text.length) {
        const next = text[end];
        if (char === '"' && next === '\\') end += 2;
        else if (char === "'" && next === "'" && text[end + 1] === "'") end += 2;
        else if (next === char) break;
        else end += 1;
      }
      index = end;
      tokenStart = false;
      continue;
    }
    if ((char === '[' || char === '{') && tokenStart) {
      depth += 1;
      if (depth > limit) return index;
      continue;
    }
    if ((char === ']' || char === '}') && depth > 0) depth -= 1;
    tokenStart = blanks.has(char) || (depth > 0 && (char === ',' || char === ':'));
  }
  return undefined;
}

/**
 * Parses YAML text, placing its syntax errors (duplicate keys, nesting deeper than maxNestingDepth,
 * strings longer than maxStringLength and alias bombs included). Text longer than maxFileBytes is
 * refused unparsed.
 * @example const source = parseYamlSource('cluster: { name: prod }\n', 'gravity.yaml');
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  if (Buffer.byteLength(text, 'utf8') > maxFileBytes) {
    const document = parseDocument('', { lineCounter });
    return { file, document, lineCounter, syntaxErrors: [`${file}: larger than ${formatBytes(maxFileBytes)}`], data: undefined };
  }
  const deepAt = flowTooDeepAt(text, maxNestingDepth);
  if (deepAt !== undefined) {
    const document = parseDocument('');
    lineCounter.addNewLine(0);
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', newline + 1)) lineCounter.addNewLine(newline + 1);
    return { file, document, lineCounter, syntaxErrors: [place(file, lineCounter, deepAt, tooDeep)], data: undefined };
  }
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const found: Found[] = [];
  let deepReported = false;
  for (const error of document.errors) {
    const message = clip((error.message.split('\n')[0] ?? error.message).replace(/:\s*$/u, ''));
    if (stackOverflow.test(message)) {
      if (!deepReported) found.push({ offset: error.pos[0], message: tooDeep });
      deepReported = true;
    } else {
      found.push({ offset: error.pos[0], message });
    }
  }
  const checked = checkNodes(document, lineCounter);
  for (const entry of checked.found) {
    if (entry.message !== tooDeep || !deepReported) found.push(entry);
  }
  let data: unknown;
  if (found.length === 0) {
    try {
      data = (document.toJS({ maxAliasCount }) as unknown) ?? undefined;
    } catch (error) {
      // yaml throws a ReferenceError for aliases that expand past maxAliasCount (an alias bomb).
      if (!(error instanceof ReferenceError) && !(error instanceof RangeError)) throw error;
      found.push({
        offset: checked.firstAlias ?? 0,
        message: `too many aliases: the aliases of this document expand to more than ${maxAliasCount} copies (write the values out instead)`,
      });
    }
  }
  const syntaxErrors = found
    .map((entry, index) => ({ ...entry, index }))
    .sort((a, b) => a.offset - b.offset || a.index - b.index)
    .map((entry) => place(file, lineCounter, entry.offset, entry.message));
  return { file, document, lineCounter, syntaxErrors, data: syntaxErrors.length === 0 ? data : undefined };
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

/** Each mapping's pairs by key, built on the first lookup, so that placing n problems takes O(n). */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndexes.get(map);
  if (index === undefined) {
    index = new Map();
    for (const item of map.items) {
      if (!isScalar(item.key)) continue;
      const name = String(item.key.value);
      if (!index.has(name)) index.set(name, item);
    }
    pairIndexes.set(map, index);
  }
  return index.get(key);
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
      const pair = pairOf(current, segment);
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
 * a missing key, its enclosing value). `locatedPath` maps a problem's path to the path to look up,
 * for validators whose paths carry more than keys and indexes.
 * @example placeProblems(source, ['probes[1].interval: must be at least 1s, got "0s"'])
 * // ['gravity.yaml:12:15: probes[1].interval: must be at least 1s, got "0s"']
 */
export function placeProblems(source: YamlSource, problems: readonly string[], options: { locatedPath?: (path: string) => string } = {}): string[] {
  const placed = problems.map((problem, index) => {
    const split = problem.indexOf(': ');
    const path = split < 0 ? '' : problem.slice(0, split);
    const message = split < 0 ? problem : problem.slice(split + 2);
    const at = /^(?:unknown|invalid) key/u.test(message) ? 'key' : 'value';
    const located = options.locatedPath === undefined ? path : options.locatedPath(path);
    const offset = locate(source.document, located === '' ? [] : splitPath(located), at);
    const shown = split < 0 ? problem : `${shortPath(path)}: ${message}`;
    if (offset === undefined) return { offset: -1, index, text: `${source.file}: ${shown}` };
    const { line, col } = source.lineCounter.linePos(offset);
    return { offset, index, text: `${source.file}:${line}:${col}: ${shown}` };
  });
  return placed.sort((a, b) => a.offset - b.offset || a.index - b.index).map((entry) => entry.text);
}

/** The most characters of a value that a message shows. */
export const maxShownLength = 80;

/**
 * `what` for messages: JSON for data, so that strings show their quotes; a long value is cut to its
 * first maxShownLength characters and its length, so that a message never repeats a huge value.
 * @example show('x'.repeat(5000)) // '"xxxx…" (5000 chars)'
 */
export function show(value: unknown): string {
  if (typeof value === 'string' && value.length > maxShownLength) {
    return `${JSON.stringify(value.slice(0, maxShownLength - 2)).slice(0, -1)}…" (${value.length} chars)`;
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    // Data nested too deeply for the stack (refused elsewhere) still gets a short description.
    if (!(error instanceof RangeError)) throw error;
    text = Array.isArray(value) ? '[…]' : '{…}';
  }
  if (text === undefined) return String(value);
  return text.length > maxShownLength ? `${text.slice(0, maxShownLength - 1)}… (${text.length} chars)` : text;
}
