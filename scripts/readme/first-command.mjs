#!/usr/bin/env node
// Prints the README's first command (the first command line of its first `sh` block) without its
// final `&& gravity start`: the install part, which CI runs on its clean clone before the tests.
// Plain JavaScript with no dependencies, since it runs before `npm ci`.
//   node scripts/readme/first-command.mjs          the install part
//   node scripts/readme/first-command.mjs --full   the whole command, start included
// Exits 1, saying why, when the README no longer has a first command of that shape.

import { readFileSync } from 'node:fs';

const startSuffix = ' && gravity start';

/** The first command line of the first ```sh block of a Markdown text: no comments, no blank lines. */
function firstCommand(markdown) {
  const lines = markdown.split('\n');
  const open = lines.findIndex((line) => line.trim() === '```sh');
  if (open === -1) throw new Error('no ```sh block');
  for (const line of lines.slice(open + 1)) {
    const text = line.trim();
    if (text.startsWith('```')) break;
    if (text !== '' && !text.startsWith('#')) return text;
  }
  throw new Error('the first ```sh block has no command');
}

/** The command split into its install part and the start that follows it. */
function splitFirstCommand(command) {
  if (!command.endsWith(startSuffix)) throw new Error(`the first command does not end with "${startSuffix.trim()}": ${command}`);
  return { install: command.slice(0, -startSuffix.length), start: startSuffix.slice(' && '.length) };
}

const readme = new URL('../../README.md', import.meta.url);
try {
  const command = firstCommand(readFileSync(readme, 'utf8'));
  const full = process.argv.includes('--full');
  process.stdout.write(`${full ? command : splitFirstCommand(command).install}\n`);
} catch (error) {
  process.stderr.write(`README.md: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
