// Inputs that a loader must refuse as a user's mistake, quickly and with a place: an alias bomb,
// nesting deeper than any file needs, and binary garbage (from a seeded generator, so that a failure
// can be repeated).

/** A "billion laughs" document: nine levels of nine aliases each, under `key`. */
export function aliasBomb(key: string): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level <= 9; level += 1) {
    const previous = `*a${level - 1}`;
    lines.push(`a${level}: &a${level} [${Array.from({ length: 9 }, () => previous).join(', ')}]`);
  }
  lines.push(`${key}: *a9`, '');
  return lines.join('\n');
}

/** `key: [[[[...` `depth` levels deep, closed or not. */
export function deepFlow(key: string, depth: number, closed: boolean): string {
  return `${key}: ${'['.repeat(depth)}${closed ? ']'.repeat(depth) : ''}\n`;
}

/** `bytes` bytes of seeded pseudo-random garbage, as a latin1 string. */
export function garbage(seed: number, bytes: number): string {
  let state = seed >>> 0;
  let text = '';
  for (let index = 0; index < bytes; index += 1) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    text += String.fromCharCode(state >>> 24);
  }
  return text;
}
