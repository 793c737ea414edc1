// Loads the application manifest the config's `app:` key names: the application's name and version,
// and its hooks. A hook is a job, written with the fields of the Kubernetes Job spec that Gravity's
// hooks use (command, env, workingDir, activeDeadlineSeconds, restartPolicy, backoffLimit) and run
// here as a local process. Every mistake is reported at once with its line and column.

import path from 'node:path';
import { GravityError } from '../errors.ts';
import type { AppManifest, HookJob } from './types.ts';
import { Fields, isRecord } from './fields.ts';
import { readInputFile } from './input-file.ts';
import { maxCommandArgs, maxStringLength } from './limits.ts';
import { listProblems } from './problem-list.ts';
import { parseYamlSource, placeProblems, show } from './yaml-source.ts';

/** The hooks Gravity's manifests know (lib/schema/hooks.go); the agent runs `status` today. */
export const hookNames = [
  'clusterProvision',
  'clusterDeprovision',
  'nodesProvision',
  'nodesDeprovision',
  'install',
  'postInstall',
  'uninstall',
  'preUninstall',
  'preNodeAdd',
  'postNodeAdd',
  'preNodeRemove',
  'postNodeRemove',
  'preUpdate',
  'update',
  'postUpdate',
  'rollback',
  'postRollback',
  'status',
  'info',
  'licenseUpdated',
  'start',
  'stop',
  'dump',
  'backup',
  'restore',
  'networkInstall',
  'networkUpdate',
  'networkRollback',
] as const;

export type HookName = (typeof hookNames)[number];

/**
 * Job defaults. The deadline is Gravity's default hook timeout (20 minutes); a job runs once unless
 * told otherwise (Kubernetes retries 6 times by default, which would hide a failing status hook for
 * minutes).
 */
export const hookJobDefaults = {
  activeDeadlineSeconds: 1200,
  restartPolicy: 'Never',
  backoffLimit: 0,
} as const satisfies Partial<HookJob>;

const jobKeys = ['command', 'env', 'workingDir', 'activeDeadlineSeconds', 'restartPolicy', 'backoffLimit'];
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/u;

/** Compiles one hook's job; problems are pushed as `<at>.<key>: ...`; relative workingDir is resolved against `baseDir`. */
export function compileHookJob(raw: unknown, at: string, problems: string[], baseDir: string): HookJob | undefined {
  const before = problems.length;
  if (raw === undefined || raw === null) {
    problems.push(`${at}: required: a job with at least a command`);
    return undefined;
  }
  const job = new Fields(raw, at, problems, jobKeys);
  let command: string[] | undefined;
  const rawCommand = job.raw.command;
  if (rawCommand === undefined || rawCommand === null) {
    job.problem('command', 'required: the program and its arguments, e.g. ["/usr/local/bin/check", "--quick"]');
  } else if (!Array.isArray(rawCommand) || rawCommand.length === 0) {
    job.problem('command', `must be a non-empty list of strings (the program and its arguments), got ${show(rawCommand)}`);
  } else if (rawCommand.length > maxCommandArgs) {
    job.problem('command', `must have at most ${maxCommandArgs} arguments, got ${rawCommand.length}`);
  } else {
    command = [];
    rawCommand.forEach((part: unknown, index) => {
      if (typeof part === 'string' && part.length > maxStringLength) job.problem(`command[${index}]`, `must be at most ${maxStringLength} characters long, got ${show(part)}`);
      else if (typeof part === 'string' && (index > 0 || part !== '')) command?.push(part);
      else job.problem(`command[${index}]`, `must be a ${index === 0 ? 'non-empty ' : ''}string, got ${show(part)}`);
    });
  }
  const env: Record<string, string> = {};
  const rawEnv = job.raw.env;
  if (rawEnv !== undefined && rawEnv !== null) {
    if (!isRecord(rawEnv)) {
      job.problem('env', `must be a mapping of variable names to values, got ${show(rawEnv)}`);
    } else {
      for (const [name, value] of Object.entries(rawEnv)) {
        if (!envName.test(name)) job.problem(`env.${name}`, 'invalid key: not a valid variable name (letters, digits and _, not starting with a digit)');
        else if (typeof value === 'string' && value.length > maxStringLength) job.problem(`env.${name}`, `must be at most ${maxStringLength} characters long, got ${show(value)}`);
        else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') env[name] = String(value);
        else job.problem(`env.${name}`, `must be a string, got ${show(value)}`);
      }
    }
  }
  const workingDir = job.string('workingDir', { what: 'a directory' });
  const activeDeadlineSeconds = job.integer('activeDeadlineSeconds', {
    fallback: hookJobDefaults.activeDeadlineSeconds,
    min: 1,
    max: 7 * 24 * 3600,
  });
  const restartPolicy = job.oneOf('restartPolicy', ['Never', 'OnFailure'] as const, hookJobDefaults.restartPolicy);
  const backoffLimit = job.integer('backoffLimit', { fallback: hookJobDefaults.backoffLimit, min: 0, max: 100 });
  if (problems.length > before || command === undefined) return undefined;
  return {
    command,
    env,
    ...(workingDir === undefined ? {} : { workingDir: path.resolve(baseDir, workingDir) }),
    activeDeadlineSeconds: activeDeadlineSeconds!,
    restartPolicy: restartPolicy!,
    backoffLimit: backoffLimit!,
  };
}

/**
 * Compiles a manifest's data; problems are pushed as `<path>: ...` relative to the manifest's root.
 * @example compileAppManifest({ name: 'shop', hooks: { status: { job: { command: ['true'] } } } }, '/etc/gravity/app.yaml', problems)
 */
export function compileAppManifest(data: unknown, file: string, problems: string[]): AppManifest | undefined {
  const before = problems.length;
  const root = new Fields(data, '', problems, ['name', 'version', 'hooks']);
  const name = root.string('name', { what: 'the application name' });
  const versionRaw = root.raw.version;
  let version: string | undefined;
  if (typeof versionRaw === 'number') root.problem('version', `must be a string: quote it (version: "1.0"), got the number ${versionRaw}`);
  else version = root.string('version', { what: 'a version string such as "1.2.0"' });
  const hooks: Partial<Record<string, HookJob>> = {};
  const rawHooks = root.raw.hooks;
  if (rawHooks !== undefined && rawHooks !== null) {
    const section = new Fields(rawHooks, 'hooks', problems, hookNames);
    for (const [hook, value] of Object.entries(section.raw)) {
      if (!(hookNames as readonly string[]).includes(hook)) continue;
      const entry = new Fields(value, `hooks.${hook}`, problems, ['job']);
      if (value === undefined || value === null || isRecord(value)) {
        const job = compileHookJob(entry.raw.job, `hooks.${hook}.job`, problems, path.dirname(file));
        if (job !== undefined) hooks[hook] = job;
      }
    }
  }
  if (problems.length > before) return undefined;
  return {
    path: file,
    ...(name === undefined ? {} : { name }),
    ...(version === undefined ? {} : { version }),
    hooks,
  };
}

/**
 * Parses and compiles a manifest's text; returns it, or every problem placed as `shown:line:col: ...`.
 * `file` is the manifest's absolute path (relative workingDirs are resolved against its folder).
 */
export function parseAppManifest(text: string, file: string, shown: string): { manifest: AppManifest } | { problems: string[] } {
  const source = parseYamlSource(text, shown);
  if (source.syntaxErrors.length > 0) return { problems: [...source.syntaxErrors] };
  const problems: string[] = [];
  const manifest = compileAppManifest(source.data, file, problems);
  if (manifest === undefined || problems.length > 0) return { problems: placeProblems(source, problems) };
  return { manifest };
}

/**
 * Loads an application manifest; throws E_FILE_UNREADABLE, or E_CONFIG_INVALID listing every problem.
 * @example const app = loadAppManifest('/etc/gravity/app.yaml'); app.hooks.status?.command
 */
export function loadAppManifest(file: string): AppManifest {
  const absolute = path.resolve(file);
  const read = readInputFile(absolute, 'application manifest');
  if ('error' in read) throw new GravityError(read.reason === 'too-large' ? 'E_FILE_TOO_LARGE' : 'E_FILE_UNREADABLE', read.error, { cause: read.cause });
  const result = parseAppManifest(read.text, absolute, file);
  if ('problems' in result) {
    throw new GravityError('E_CONFIG_INVALID', `invalid application manifest ${file}: ${result.problems.length} problem(s)`, {
      details: listProblems(result.problems),
    });
  }
  return result.manifest;
}
