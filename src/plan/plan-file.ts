// Plan files: operation plans written by users (`gravity plan create -f plan.yaml`). A file is a
// description and a tree of phases; this module turns it into the PhaseSpec the engine stores, with
// ids and requirements made absolute, defaults filled in and every leaf's executor compiled. Nothing
// is created from a file with a mistake: every mistake is reported at once, each with its line and
// column (as the config loader does, through src/config/fields.ts and src/config/yaml-source.ts), in
// one E_PLAN_INVALID. docs/plans.md describes the format.

import path from 'node:path';
import { Fields, isRecord } from '../config/fields.ts';
import { readInputFile } from '../config/input-file.ts';
import { maxCommandArgs, maxDescriptionLength, maxStringLength } from '../config/limits.ts';
import { listProblems } from '../config/problem-list.ts';
import type { AppManifest } from '../config/types.ts';
import { locate, parseYamlSource, placeProblems, show, splitPath } from '../config/yaml-source.ts';
import type { YamlSource } from '../config/yaml-source.ts';
import { GravityError } from '../errors.ts';
import { phasePathProblem, phaseSegmentPattern, rootPhaseId } from './phase-state.ts';
import { survivorPolicies } from './types.ts';
import type { PhaseExecutor, PhaseSpec, SurvivorPolicy } from './types.ts';

/**
 * What a plan file is checked against.
 * @example loadPlanFile('plan.yaml', { members: [config.node.name], app: config.app })
 */
export interface PlanFileOptions {
  /** The cluster's node names: a phase's `node` must be one of them. */
  members: readonly string[];
  /** The application manifest: a phase's `hook` must be one of its hooks. */
  app?: AppManifest;
}

/**
 * A loaded plan file: what `gravity plan create` stores as a `custom` operation.
 * @example const { description, plan } = loadPlanFile('plan.yaml', { members }); leaves(plan).length
 */
export interface PlanFile {
  description: string;
  /** The root (id `/`), its description the file's; its phases the file's top-level phases. */
  plan: PhaseSpec;
}

/**
 * Defaults of a plan file's optional keys (docs/plans.md).
 * @example planFileDefaults.timeoutMs // 3600000: a run: phase may take an hour unless it says otherwise
 */
export const planFileDefaults = {
  timeout: '1h',
  timeoutMs: 3_600_000,
  retries: 0,
  retryBackoff: '1s',
  retryBackoffMs: 1_000,
  shell: false,
  onSurvivor: 'kill',
  waitHealthyTimeout: '5m',
  waitHealthyTimeoutMs: 300_000,
  parallel: 1,
} as const;

const topKeys = ['description', 'phases'];
const executorKeys = ['run', 'hook', 'waitHealthy'] as const;
/** Keys that only a `run:` leaf may have. */
const runKeys = ['rollback', 'shell', 'env', 'workingDir', 'timeout', 'retries', 'retryBackoff', 'onSurvivor'] as const;
const phaseKeys = ['id', 'description', 'requires', 'node', 'parallel', 'phases', ...executorKeys, ...runKeys];

/**
 * Every key a plan file may hold, by where it is written (docs/plans.md documents each).
 * @example planFileKeys.phase.includes('retries') // true
 */
export const planFileKeys: { readonly plan: readonly string[]; readonly phase: readonly string[]; readonly waitHealthy: readonly string[] } = {
  plan: topKeys,
  phase: phaseKeys,
  waitHealthy: ['timeout'],
};
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/u;
const maxParallel = 1000;
const maxRetries = 100;

/**
 * The ranges of a plan file's durations (docs/plans.md).
 * @example planFileRanges.timeout // { min: '1ms', max: '7d' }
 */
export const planFileRanges = {
  timeout: { min: '1ms', max: '7d' },
  retryBackoff: { min: '0ms', max: '1h' },
  waitHealthyTimeout: { min: '1s', max: '7d' },
} as const;

/** A phase as read, before its requirements are checked against the whole plan. */
interface Draft {
  spec: PhaseSpec;
  /** Its place in the file (`phases[1].phases[0]`). */
  at: string;
  /** Its position in plan order (groups before their phases). */
  order: number;
  /** Ancestors' ids, outermost first (the root not included). */
  groups: string[];
  /** Requirements as resolved, each with its place in the file; checked once every id is known. */
  requires: { id: string; at: string }[];
}

interface Context {
  problems: string[];
  options: PlanFileOptions;
  /** Relative workingDirs are resolved against it; also the default working directory. */
  baseDir: string;
  drafts: Draft[];
  /** Phases met so far: the next phase's position in plan order. */
  seen: number;
}

function has(fields: Fields, key: string): boolean {
  return Object.hasOwn(fields.raw, key);
}

/** `run:` or `rollback:`: an argv (no shell), or with `shell: true` one command line for `sh -c`. */
function compileCommand(fields: Fields, key: 'run' | 'rollback', shell: boolean): string[] | undefined {
  const raw = fields.raw[key];
  if (shell) {
    if ((typeof raw === 'string' ? raw : Array.isArray(raw) && typeof raw[0] === 'string' ? raw[0] : '').length > maxStringLength) {
      return fields.problem(key, `must be at most ${maxStringLength} characters long, got ${show(raw)}`);
    }
    if (typeof raw === 'string' && raw.trim() !== '') return [raw];
    if (Array.isArray(raw) && raw.length === 1 && typeof raw[0] === 'string' && raw[0].trim() !== '') return [raw[0]];
    return fields.problem(key, `with shell: true, must be one command line for sh -c (a string, or a list of one string), got ${show(raw)}`);
  }
  if (typeof raw === 'string') {
    return fields.problem(
      key,
      `must be a list: the program and its arguments, e.g. [systemctl, restart, docker] (arguments never pass through a shell; write shell: true to run a command line with sh -c), got ${show(raw)}`,
    );
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    return fields.problem(key, `must be a non-empty list: the program and its arguments, e.g. [touch, /tmp/marker], got ${show(raw)}`);
  }
  if (raw.length > maxCommandArgs) return fields.problem(key, `must have at most ${maxCommandArgs} arguments, got ${raw.length}`);
  const argv: string[] = [];
  let ok = true;
  raw.forEach((part: unknown, index) => {
    if (typeof part === 'string' && part.length > maxStringLength) {
      ok = false;
      fields.problem(`${key}[${index}]`, `must be at most ${maxStringLength} characters long, got ${show(part)}`);
    } else if (typeof part === 'string' && (index > 0 || part.trim() !== '')) {
      argv.push(part);
    } else {
      ok = false;
      const quote = typeof part === 'number' || typeof part === 'boolean' ? `: quote it ("${String(part)}")` : '';
      fields.problem(`${key}[${index}]`, `must be a ${index === 0 ? 'non-empty ' : ''}string${quote}, got ${show(part)}`);
    }
  });
  return ok ? argv : undefined;
}

function compileEnv(fields: Fields): Record<string, string> | undefined {
  const raw = fields.raw.env;
  const env: Record<string, string> = {};
  if (raw === undefined || raw === null) return env;
  if (!isRecord(raw)) return fields.problem('env', `must be a mapping of variable names to values, got ${show(raw)}`);
  let ok = true;
  for (const [name, value] of Object.entries(raw)) {
    if (!envName.test(name)) {
      ok = false;
      fields.problem(`env.${name}`, 'invalid key: not a valid variable name (letters, digits and _, not starting with a digit)');
    } else if (typeof value === 'string' && value.length > maxStringLength) {
      ok = false;
      fields.problem(`env.${name}`, `must be at most ${maxStringLength} characters long, got ${show(value)}`);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      env[name] = String(value);
    } else {
      ok = false;
      fields.problem(`env.${name}`, `must be a string, got ${show(value)}`);
    }
  }
  return ok ? env : undefined;
}

function compileRun(fields: Fields, context: Context): PhaseExecutor | undefined {
  const before = context.problems.length;
  let shell: boolean = planFileDefaults.shell;
  const rawShell = fields.raw.shell;
  if (typeof rawShell === 'boolean') shell = rawShell;
  else if (rawShell !== undefined && rawShell !== null) fields.problem('shell', `must be true or false, got ${show(rawShell)}`);
  const argv = compileCommand(fields, 'run', shell);
  const rollback = has(fields, 'rollback') ? compileCommand(fields, 'rollback', shell) : undefined;
  const env = compileEnv(fields);
  const workingDir = fields.string('workingDir', { what: 'a directory (relative to the plan file)' });
  const timeoutMs = fields.duration('timeout', { fallback: planFileDefaults.timeoutMs, ...planFileRanges.timeout });
  const retries = fields.integer('retries', { fallback: planFileDefaults.retries, min: 0, max: maxRetries });
  const retryBackoffMs = fields.duration('retryBackoff', { fallback: planFileDefaults.retryBackoffMs, ...planFileRanges.retryBackoff });
  const onSurvivor = compileSurvivorPolicy(fields);
  if (context.problems.length > before || argv === undefined || env === undefined) return undefined;
  return {
    kind: 'run',
    argv,
    ...(rollback === undefined ? {} : { rollback }),
    env,
    workingDir: path.resolve(context.baseDir, workingDir ?? '.'),
    shell,
    timeoutMs: timeoutMs!,
    retries: retries!,
    retryBackoffMs: retryBackoffMs!,
    ...(onSurvivor === undefined ? {} : { onSurvivor }),
  };
}

/** `onSurvivor:` kill (the default, left out of the plan) or wait. */
function compileSurvivorPolicy(fields: Fields): SurvivorPolicy | undefined {
  const raw = fields.raw.onSurvivor;
  if (raw === undefined || raw === null) return undefined;
  const policy = survivorPolicies.find((candidate) => candidate === raw);
  if (policy === undefined) return fields.problem('onSurvivor', `must be ${survivorPolicies.join(' or ')}, got ${show(raw)}`);
  return policy === planFileDefaults.onSurvivor ? undefined : policy;
}

function compileHook(fields: Fields, app: AppManifest | undefined): PhaseExecutor | undefined {
  const hook = fields.string('hook', { what: 'the name of a hook of the application manifest', required: true });
  if (hook === undefined) return undefined;
  if (app === undefined) {
    return fields.problem('hook', `no application manifest is configured (the config's app: key), so there is no hook ${show(hook)}`);
  }
  if (app.hooks[hook] === undefined) {
    const known = Object.keys(app.hooks).filter((name) => app.hooks[name] !== undefined);
    return fields.problem(
      'hook',
      `not a hook of the application manifest ${app.path} (${known.length === 0 ? 'it has no hooks' : `its hooks: ${known.join(', ')}`}), got ${show(hook)}`,
    );
  }
  return { kind: 'hook', hook };
}

function compileWaitHealthy(fields: Fields, problems: string[]): PhaseExecutor | undefined {
  const raw = fields.raw.waitHealthy;
  const wait = new Fields(raw === true ? undefined : raw, fields.path('waitHealthy'), problems, planFileKeys.waitHealthy);
  const timeoutMs = wait.duration('timeout', { fallback: planFileDefaults.waitHealthyTimeoutMs, ...planFileRanges.waitHealthyTimeout });
  return timeoutMs === undefined ? undefined : { kind: 'waitHealthy', timeoutMs };
}

/** Resolves one `requires` entry: absolute as written, or relative to the phase's parent. */
function resolveRequirement(text: string, parentId: string): { id: string } | { problem: string } {
  const id = text.startsWith('/') ? text : parentId === rootPhaseId ? `/${text}` : `${parentId}/${text}`;
  const problem = text === '' ? 'the path is empty' : phasePathProblem(id);
  return problem === undefined ? { id } : { problem: `must name a phase (/a/b, or b for a phase of the same group): ${problem}, got ${show(text)}` };
}

function compileRequires(fields: Fields, parentId: string): { id: string; at: string }[] {
  const raw = fields.raw.requires;
  if (raw === undefined || raw === null) return [];
  const entries: { text: unknown; key: string }[] =
    typeof raw === 'string' ? [{ text: raw, key: 'requires' }] : Array.isArray(raw) ? raw.map((text: unknown, index) => ({ text, key: `requires[${index}]` })) : [];
  if (typeof raw !== 'string' && !Array.isArray(raw)) {
    fields.problem('requires', `must be a list of phase ids (/a/b, or b for a phase of the same group), got ${show(raw)}`);
  }
  const resolved: { id: string; at: string }[] = [];
  for (const { text, key } of entries) {
    if (typeof text !== 'string') {
      fields.problem(key, `must be a phase id (/a/b, or b for a phase of the same group), got ${show(text)}`);
      continue;
    }
    const result = resolveRequirement(text, parentId);
    if ('problem' in result) fields.problem(key, result.problem);
    else if (!resolved.some((entry) => entry.id === result.id)) resolved.push({ id: result.id, at: fields.path(key) });
  }
  return resolved;
}

/**
 * Compiles one phase (and its subtree). `parentId` is undefined below a phase whose id is invalid:
 * such phases are still checked key by key but take no part in ids and requirements.
 */
function compilePhase(raw: unknown, at: string, parentId: string | undefined, groups: string[], inheritedNode: string | undefined, context: Context): PhaseSpec | undefined {
  const { problems } = context;
  const order = context.seen++;
  const fields = new Fields(raw, at, problems, phaseKeys);
  if (!isRecord(raw)) return undefined;
  const segment = fields.string('id', {
    what: 'one segment of letters, digits and ._- such as init or node-1 (no "/": the full id is made from the ids of its groups)',
    pattern: phaseSegmentPattern,
    required: true,
  });
  const id = parentId === undefined || segment === undefined ? undefined : parentId === rootPhaseId ? `/${segment}` : `${parentId}/${segment}`;
  const description = fields.string('description', { what: 'a one-line description', fallback: '', maxLength: maxDescriptionLength }) ?? '';

  let node = fields.string('node', { what: 'the name of a cluster member' });
  if (node !== undefined && !context.options.members.includes(node)) {
    fields.problem(
      'node',
      `not a cluster member (${context.options.members.length === 0 ? 'the cluster has none' : `members: ${context.options.members.join(', ')}`}), got ${show(node)}`,
    );
    node = undefined;
  }
  node ??= inheritedNode;

  const requires = parentId === undefined ? [] : compileRequires(fields, parentId);
  const present = executorKeys.filter((key) => has(fields, key));
  const isGroup = has(fields, 'phases');

  let parallel: number | undefined;
  const children: PhaseSpec[] = [];
  let executor: PhaseExecutor | undefined;
  if (isGroup) {
    parallel = has(fields, 'parallel') ? fields.integer('parallel', { fallback: planFileDefaults.parallel, min: 1, max: maxParallel }) : undefined;
    for (const key of present) {
      fields.problem(key, `a group (a phase with phases:) has no executor: move ${key}: to a phase of its own in the group`);
    }
    for (const key of runKeys.filter((runKey) => has(fields, runKey))) fields.problem(key, `only a leaf with run: has ${key}:`);
    const rawChildren = fields.raw.phases;
    if (!Array.isArray(rawChildren) || rawChildren.length === 0) {
      fields.problem('phases', `must be a non-empty list of phases, got ${show(rawChildren)}`);
    } else {
      const childGroups = id === undefined ? groups : [...groups, id];
      rawChildren.forEach((child: unknown, index) => {
        const compiled = compilePhase(child, `${fields.path('phases')}[${index}]`, id, childGroups, node, context);
        if (compiled !== undefined) children.push(compiled);
      });
    }
  } else {
    if (has(fields, 'parallel')) fields.problem('parallel', 'only a group (a phase with phases:) has parallel:');
    const [first, second] = present;
    if (first === undefined) {
      problems.push(`${at}: a leaf needs exactly one executor: run: [program, args...], hook: NAME or waitHealthy: {}`);
    } else if (second !== undefined) {
      fields.problem(second, `a leaf has exactly one executor, but this one has ${present.join(' and ')}: split it into two phases`);
    } else {
      if (first !== 'run') {
        for (const key of runKeys.filter((runKey) => has(fields, runKey))) fields.problem(key, `only a leaf with run: has ${key}: (this one has ${first}:)`);
      }
      executor =
        first === 'run' ? compileRun(fields, context) : first === 'hook' ? compileHook(fields, context.options.app) : compileWaitHealthy(fields, problems);
    }
  }

  if (id === undefined) return undefined;
  const spec: PhaseSpec = {
    id,
    description,
    requires: requires.map((entry) => entry.id),
    ...(node === undefined ? {} : { node }),
    ...(parallel === undefined ? {} : { parallel }),
    ...(executor === undefined ? {} : { executor }),
    phases: children,
  };
  context.drafts.push({ spec, at, order, groups, requires });
  return spec;
}

/** What a phase waits for: its requirements, its groups' requirements and (a group) its phases. */
interface Edge {
  to: string;
  /** The `requires` entry behind it; undefined for a group waiting for its own phase. */
  at?: string;
  kind: 'requires' | 'inherited' | 'contains';
}

/**
 * Finds the cycles in what phases wait for: a leaf cannot start before every phase that it and its
 * groups require is completed, and a group is completed only when all its phases are. Each cycle is
 * reported once, at the `requires` entry that starts it, as `/a -> /b -> /a`.
 */
function findCycles(byId: ReadonlyMap<string, Draft>, problems: string[]): void {
  const drafts = [...byId.values()].sort((a, b) => a.order - b.order);
  const order = new Map(drafts.map((draft) => [draft.spec.id, draft.order]));
  const own = (draft: Draft): Edge[] => draft.requires.filter((entry) => byId.has(entry.id)).map((entry) => ({ to: entry.id, at: entry.at, kind: 'requires' }));
  const edges = new Map<string, Edge[]>();
  for (const draft of drafts) {
    const list = own(draft);
    for (const group of draft.groups) {
      const owner = byId.get(group);
      if (owner !== undefined) list.push(...own(owner).map((edge): Edge => ({ ...edge, kind: 'inherited' })));
    }
    list.push(...draft.spec.phases.map((child): Edge => ({ to: child.id, kind: 'contains' })));
    edges.set(draft.spec.id, list);
  }

  const color = new Map<string, 'active' | 'done'>();
  const reported = new Set<string>();
  for (const start of drafts) {
    if (color.has(start.spec.id)) continue;
    // Iterative depth-first search; `trail` holds the active path and the edge taken out of each node.
    const trail: { id: string; next: number; via?: Edge }[] = [{ id: start.spec.id, next: 0 }];
    color.set(start.spec.id, 'active');
    while (trail.length > 0) {
      const top = trail[trail.length - 1]!;
      const out = edges.get(top.id) ?? [];
      const edge = out[top.next];
      if (edge === undefined) {
        color.set(top.id, 'done');
        trail.pop();
        continue;
      }
      top.next += 1;
      top.via = edge;
      const seen = color.get(edge.to);
      if (seen === undefined) {
        color.set(edge.to, 'active');
        trail.push({ id: edge.to, next: 0 });
      } else if (seen === 'active') {
        const from = trail.findIndex((entry) => entry.id === edge.to);
        const steps = trail.slice(from).map((entry) => ({ id: entry.id, via: entry.via! }));
        reportCycle(steps, order, reported, problems);
      }
    }
  }
}

function reportCycle(steps: { id: string; via: Edge }[], order: ReadonlyMap<string, number>, reported: Set<string>, problems: string[]): void {
  let first = 0;
  steps.forEach((step, index) => {
    if ((order.get(step.id) ?? 0) < (order.get(steps[first]!.id) ?? 0)) first = index;
  });
  const rotated = [...steps.slice(first), ...steps.slice(0, first)];
  const text = [...rotated.map((step) => step.id), rotated[0]!.id].join(' -> ');
  if (reported.has(text)) return;
  reported.add(text);
  const place = rotated.find((step) => step.via.at !== undefined)?.via.at ?? '';
  const indirect = rotated.some((step) => step.via.kind !== 'requires');
  const why = indirect ? ' (a phase also waits for what its groups require, and a group for its own phases)' : '';
  problems.push(`${place}: cycle in requires: ${text}${why}`);
}

/** Checks every requirement against the whole plan: it must name a phase outside the phase's own line. */
function checkRequirements(drafts: readonly Draft[], source: YamlSource, problems: string[]): void {
  const byId = new Map<string, Draft>();
  for (const draft of drafts) {
    const first = byId.get(draft.spec.id);
    if (first === undefined) {
      byId.set(draft.spec.id, draft);
      continue;
    }
    const offset = locate(source.document, splitPath(`${first.at}.id`), 'value');
    const where = offset === undefined ? '' : ` (first at line ${source.lineCounter.linePos(offset).line})`;
    problems.push(`${draft.at}.id: duplicate id ${draft.spec.id}${where}`);
  }
  for (const draft of drafts) {
    const self = draft.spec.id;
    draft.requires = draft.requires.filter((entry) => {
      const target = entry.id;
      if (target === self) {
        problems.push(`${entry.at}: cycle in requires: ${self} -> ${self} (a phase cannot require itself)`);
      } else if (target === rootPhaseId || draft.groups.includes(target)) {
        problems.push(`${entry.at}: cycle in requires: ${self} -> ${target} -> ${self} (${target} contains ${self}, so it completes only after ${self} does)`);
      } else if (target.startsWith(`${self}/`)) {
        problems.push(
          `${entry.at}: cycle in requires: ${self} -> ${target} -> ${self} (${target} is one of ${self}'s own phases: it cannot start before what ${self} requires is completed)`,
        );
      } else if (!byId.has(target)) {
        problems.push(`${entry.at}: names no phase: there is no ${target} in this plan`);
      } else {
        return true;
      }
      return false;
    });
  }
  findCycles(byId, problems);
}

/**
 * Compiles a plan file's text; returns it, or every problem placed as `shown:line:col: path: what`.
 * `file` is the file's absolute path (relative workingDirs are resolved against its folder, which is
 * also the default working directory); `shown` is how messages name it.
 * @example compilePlanText('description: demo\nphases:\n  - id: a\n    run: [true]\n', { file: '/tmp/p.yaml', shown: 'p.yaml', members: [] })
 */
export function compilePlanText(
  text: string,
  options: PlanFileOptions & { file: string; shown: string },
): { description: string; plan: PhaseSpec } | { problems: string[] } {
  const source = parseYamlSource(text, options.shown);
  if (source.syntaxErrors.length > 0) return { problems: [...source.syntaxErrors] };
  const context: Context = {
    problems: [],
    options: { members: options.members, ...(options.app === undefined ? {} : { app: options.app }) },
    baseDir: path.dirname(options.file),
    drafts: [],
    seen: 0,
  };
  const { problems } = context;
  const root = new Fields(source.data, '', problems, topKeys);
  const description = root.string('description', { what: 'a one-line description of the operation', required: true, maxLength: maxDescriptionLength });
  const phases: PhaseSpec[] = [];
  const rawPhases = root.raw.phases;
  if (rawPhases === undefined || rawPhases === null) {
    root.problem('phases', 'required: a list of phases, each with an id and an executor (run:, hook: or waitHealthy:) or phases of its own');
  } else if (!Array.isArray(rawPhases) || rawPhases.length === 0) {
    root.problem('phases', `must be a non-empty list of phases, got ${show(rawPhases)}`);
  } else {
    rawPhases.forEach((raw: unknown, index) => {
      const phase = compilePhase(raw, `phases[${index}]`, rootPhaseId, [], undefined, context);
      if (phase !== undefined) phases.push(phase);
    });
  }
  checkRequirements(context.drafts, source, problems);
  if (problems.length > 0 || description === undefined) return { problems: placeProblems(source, problems) };
  return { description, plan: { id: rootPhaseId, description, requires: [], phases } };
}

/**
 * Loads a plan file. Throws E_FILE_UNREADABLE, or E_PLAN_INVALID with every problem in `details` as
 * `file:line:col: path: what is wrong`.
 * @example const { description, plan } = loadPlanFile('plan.yaml', { members: ['node-1'], app: config.app });
 */
export function loadPlanFile(file: string, options: PlanFileOptions): PlanFile {
  const absolute = path.resolve(file);
  const read = readInputFile(absolute, 'plan file');
  if ('error' in read) throw new GravityError(read.reason === 'too-large' ? 'E_FILE_TOO_LARGE' : 'E_FILE_UNREADABLE', read.error, { cause: read.cause });
  const result = compilePlanText(read.text, { ...options, file: absolute, shown: file });
  if ('problems' in result) {
    throw new GravityError('E_PLAN_INVALID', `invalid plan file ${file}: ${result.problems.length} problem(s)`, { details: listProblems(result.problems) });
  }
  return result;
}
