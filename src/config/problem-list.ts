// How a refused file's problems are listed: the first maxListedProblems of them, then one line that
// counts the rest, so that a file of garbage gives a screenful instead of thousands of lines. Shared
// by the config, the application manifest, plan files and supervision tree specs.

import { maxListedProblems } from './limits.ts';

/**
 * The problems to show, at most `max` of them and a line counting the others.
 * @example listProblems(problems) // [...20 problems, '… and 1822 more problems (fix these first)']
 */
export function listProblems(problems: readonly string[], max: number = maxListedProblems): string[] {
  if (problems.length <= max) return [...problems];
  const more = problems.length - max;
  return [...problems.slice(0, max), `… and ${more} more problem${more === 1 ? '' : 's'} (fix these first)`];
}
