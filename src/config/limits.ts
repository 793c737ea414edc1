// The bounds of every file gravity reads from its user (the config, the application manifest, plan
// files, supervision tree specs) and of what they hold, in one place so that the loaders, their
// messages and docs/configuration.md agree. A file past a bound is refused, never read in part.

/** The largest config, manifest, plan or spec file: 1 MiB. */
export const maxFileBytes = 1024 * 1024;

/** The longest string value (or key) in such a file: commands, arguments, env values, paths, URLs. */
export const maxStringLength = 4096;

/** The most arguments of one command (a hook's, a plan phase's). */
export const maxCommandArgs = 1024;

/** The longest description (a plan's, a phase's). */
export const maxDescriptionLength = 1024;

/** The deepest nesting of mappings and lists in such a file. */
export const maxNestingDepth = 64;

/** How many nodes the aliases of such a file may expand to before it is refused as an alias bomb. */
export const maxAliasCount = 100;

/** The most etcd endpoints the store's configuration names. */
export const maxEtcdEndpoints = 16;

/** The longest key prefix of the etcd store. */
export const maxEtcdPrefixLength = 256;

/** How many problems a refused file lists; the rest are counted in one more line. */
export const maxListedProblems = 20;

/**
 * `1 MiB`, `512 KiB` or `100 bytes`, for messages.
 * @example formatBytes(maxFileBytes) // '1 MiB'
 */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
