// The control channel between the CLI and the agent on the same node: newline-delimited JSON over
// the Unix socket in the state dir. This file is the whole contract: the methods, their params and
// results, and the framing. Both ends use it, so a change here is a change on both sides.

import type { InspectionQuery, InspectionReadEnd } from '../actors/inspection-history.ts';
import type { InspectionRecord } from '../actors/inspection.ts';
import { inspectionKinds } from '../actors/inspection.ts';
import type { SystemFacts } from '../actors/tasks.ts';
import type { ClusterReport } from '../health/types.ts';
import type { HistoryEvent, HistoryQuery } from '../store/types.ts';
import type { OperationRequest } from '../machines/operation.ts';
import { operationActions } from '../machines/operation.ts';
import type { OperationStreamItem } from '../operations/follow-run.ts';
import type { OperationAnswer } from '../operations/operation-run.ts';
import type { TreeNodeInfo } from '../supervisor/child.ts';

/** The agent's own life, a documented literal union. SIGTERM from systemd means `stopping`. */
export type AgentLifecycle = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
export const agentLifecycles: readonly AgentLifecycle[] = ['starting', 'running', 'stopping', 'stopped', 'failed'];

/** The socket's file name inside the state dir. */
export const controlSocketName = 'agent.sock';

/** How often the agent checks that its control socket is still in place, and makes it again if not. */
export const controlSocketRecheckMs = 5000;

/** Longest request or response line accepted (bytes); longer input is a protocol error. */
export const maxLineBytes = 4 * 1024 * 1024;

/** The longest phase path a request may name (the plan file's own limit is below it). */
export const maxPhasePathLength = 4096;

export interface PingResult {
  pid: number;
  version: string;
  state: AgentLifecycle;
  stateDir: string;
  /** Epoch ms at which the agent started. */
  startedAt: number;
}

export interface TreeResult {
  /** The agent's clock when the tree was read: uptimes are computed against it. */
  now: number;
  /** The root supervisor (`agent`) with its children. */
  root: TreeNodeInfo;
}

/** The answer to `system`: the facts and when the agent read them (they may be a few seconds old). */
export interface SystemFactsResult extends SystemFacts {
  /** Epoch ms at which the facts were read. */
  readAt: number;
}

export interface HistoryResult {
  /** Oldest first. */
  events: HistoryEvent[];
}

/** Every method: its params and its result. */
export interface ControlMethods {
  ping: { params: Record<string, never>; result: PingResult };
  tree: { params: Record<string, never>; result: TreeResult };
  /** The health snapshot `gravity status` prints. */
  status: { params: Record<string, never>; result: ClusterReport };
  /** The status history `gravity status history` prints. */
  history: { params: HistoryQuery; result: HistoryResult };
  /** This node's CPU, memory, OS and disks, read in the agent's task pool (cached briefly). */
  system: { params: Record<string, never>; result: SystemFactsResult };
  /** Stops the runs of an operation (or of every operation) the agent runs, and answers once they ended. */
  'operation-stop': { params: { operationId?: string }; result: { stopped: string[] } };
}

export type ControlMethod = keyof ControlMethods;
export const controlMethods: readonly ControlMethod[] = ['ping', 'tree', 'status', 'history', 'system', 'operation-stop'];

/** The params of an `inspect` request. */
export type InspectParams = InspectionQuery;

/**
 * Every streamed method: its params, the items it sends (one message each), and the result that ends
 * the stream. The agent answers a streamed request with any number of `{id, ok: true, item}` messages,
 * then one `{id, ok: true, result}` or `{id, ok: false, error}`; the client ends a stream early by
 * closing the connection.
 */
export interface ControlStreams {
  /** Inspection records: the buffered ones, then (with `follow`) each new one. */
  inspect: { params: InspectParams; item: InspectionRecord; result: InspectionReadEnd };
  /**
   * Runs a request on an operation in the agent's operations subtree: `accepted`, then its progress,
   * then its answer (or its error). Closing the stream stops following; the run goes on.
   */
  operation: { params: OperationRequest; item: OperationStreamItem; result: OperationAnswer };
}

export type ControlStreamMethod = keyof ControlStreams;
export const controlStreamMethods: readonly ControlStreamMethod[] = ['inspect', 'operation'];

/** What is wrong with the params of an `inspect` request, or undefined when they are InspectParams. */
function inspectParamsProblem(params: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(params)) {
    if (!['pathPrefix', 'kinds', 'follow', 'backlog'].includes(key)) return `unknown inspect param ${JSON.stringify(key)}`;
  }
  if (typeof params.follow !== 'boolean') return 'inspect param follow must be a boolean';
  if (params.pathPrefix !== undefined && (typeof params.pathPrefix !== 'string' || params.pathPrefix === '')) {
    return 'inspect param pathPrefix must be a non-empty string';
  }
  const kinds = params.kinds;
  if (kinds !== undefined && (!Array.isArray(kinds) || !kinds.every((kind) => (inspectionKinds as readonly unknown[]).includes(kind)))) {
    return `inspect param kinds must be a list of ${inspectionKinds.join(', ')}`;
  }
  if (params.backlog !== undefined && (typeof params.backlog !== 'number' || !Number.isSafeInteger(params.backlog) || params.backlog < 0)) {
    return 'inspect param backlog must be a non-negative integer';
  }
  return undefined;
}

/** Operation ids are generated UUIDs; anything else of a sane length is looked up and not found. */
function isOperationId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 128 && /^[A-Za-z0-9._:-]+$/u.test(value);
}

/** The request of an `operation` stream, or what is wrong with it. */
export function operationRequestOf(params: Record<string, unknown>): OperationRequest | string {
  const { action, operationId, phase, force } = params;
  if (typeof action !== 'string' || !(operationActions as readonly string[]).includes(action)) return `operation param action must be one of ${operationActions.join(', ')}`;
  if (!isOperationId(operationId)) return 'operation param operationId must be an operation id';
  const withPhase = action === 'execute' || action === 'rollback';
  for (const key of Object.keys(params)) {
    if (!['action', 'operationId', ...(withPhase ? ['phase', 'force'] : [])].includes(key)) return `unknown operation param ${JSON.stringify(key)} for ${action}`;
  }
  if (!withPhase) return { action: action as 'resume' | 'rollback-all' | 'complete', operationId };
  if (typeof phase !== 'string' || phase.length === 0 || phase.length > maxPhasePathLength) return `operation param phase must be a phase path of at most ${maxPhasePathLength} characters`;
  if (typeof force !== 'boolean') return 'operation param force must be a boolean';
  return { action, operationId, phase, force };
}

/** What is wrong with the params of a `history` request, or undefined when they are a HistoryQuery. */
function historyParamsProblem(params: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(params)) {
    if (!['since', 'node', 'limit'].includes(key)) return `unknown history param ${JSON.stringify(key)}`;
  }
  if (params.since !== undefined && (typeof params.since !== 'number' || !Number.isFinite(params.since))) return 'history param since must be a number (epoch ms)';
  if (params.node !== undefined && typeof params.node !== 'string') return 'history param node must be a string';
  if (params.limit !== undefined && (typeof params.limit !== 'number' || !Number.isSafeInteger(params.limit) || params.limit < 0)) {
    return 'history param limit must be a non-negative integer';
  }
  return undefined;
}

export type ControlRequest =
  | { [M in ControlMethod]: { id: number; method: M; params: ControlMethods[M]['params'] } }[ControlMethod]
  | { [S in ControlStreamMethod]: { id: number; method: S; params: ControlStreams[S]['params'] } }[ControlStreamMethod];

/** How an error crosses the socket: a catalogue code (or another stable code) and a message. */
export interface ControlError {
  code: string;
  message: string;
  details?: string[];
  /** What the user can do about it, when the agent's error says. */
  hint?: string;
}

export type ControlResponse =
  | { id: number; ok: true; result: unknown }
  /** One item of a streamed answer; more follow until a result or an error. */
  | { id: number; ok: true; item: unknown }
  | { id: number | null; ok: false; error: ControlError };

/** One message on the wire: JSON and a newline. */
export function encodeMessage(message: ControlRequest | ControlResponse): string {
  return `${JSON.stringify(message)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isControlMethod(value: unknown): value is ControlMethod {
  return typeof value === 'string' && (controlMethods as readonly string[]).includes(value);
}

/**
 * Whether a method name is one of the streamed methods.
 * @example isControlStreamMethod('inspect'); // true
 */
export function isControlStreamMethod(value: unknown): value is ControlStreamMethod {
  return typeof value === 'string' && (controlStreamMethods as readonly string[]).includes(value);
}

/** Parses a request line; returns a problem string instead of throwing. */
export function parseRequest(line: string): { request: ControlRequest } | { id: number | null; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { id: null, problem: `request is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!isRecord(value)) return { id: null, problem: 'request must be a JSON object' };
  const id = typeof value.id === 'number' && Number.isSafeInteger(value.id) ? value.id : null;
  if (id === null) return { id: null, problem: 'request id must be an integer' };
  if (!isControlMethod(value.method) && !isControlStreamMethod(value.method)) {
    return { id, problem: `unknown method ${JSON.stringify(value.method)} (known: ${[...controlMethods, ...controlStreamMethods].join(', ')})` };
  }
  if (value.params !== undefined && !isRecord(value.params)) return { id, problem: 'params must be an object' };
  const params: Record<string, unknown> = isRecord(value.params) ? value.params : {};
  if (value.method === 'inspect') {
    const problem = inspectParamsProblem(params);
    if (problem !== undefined) return { id, problem };
    // Checked just above: known keys only, each of its type, follow present.
    return { request: { id, method: value.method, params: params as unknown as InspectParams } };
  }
  if (value.method === 'history') {
    const problem = historyParamsProblem(params);
    if (problem !== undefined) return { id, problem };
    // Checked just above: only since, node and limit, each of its type.
    const query: HistoryQuery = params;
    return { request: { id, method: value.method, params: query } };
  }
  if (value.method === 'system' && Object.keys(params).length > 0) return { id, problem: 'system takes no params' };
  if (value.method === 'operation') {
    const checked = operationRequestOf(params);
    if (typeof checked === 'string') return { id, problem: checked };
    return { request: { id, method: value.method, params: checked } };
  }
  if (value.method === 'operation-stop') {
    for (const key of Object.keys(params)) if (key !== 'operationId') return { id, problem: `unknown operation-stop param ${JSON.stringify(key)}` };
    if (params.operationId !== undefined && !isOperationId(params.operationId)) return { id, problem: 'operation-stop param operationId must be an operation id' };
    return { request: { id, method: value.method, params: params.operationId === undefined ? {} : { operationId: params.operationId } } };
  }
  return { request: { id, method: value.method, params: params as Record<string, never> } };
}

/** Parses a response line; returns undefined when it is not a well-formed response. */
export function parseResponse(line: string): ControlResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const id = value.id;
  if (value.ok === true && typeof id === 'number' && 'result' in value) {
    return { id, ok: true, result: value.result };
  }
  if (value.ok === true && typeof id === 'number' && 'item' in value) {
    return { id, ok: true, item: value.item };
  }
  if (value.ok === false && (typeof id === 'number' || id === null) && isRecord(value.error)) {
    const { code, message, details } = value.error;
    if (typeof code !== 'string' || typeof message !== 'string') return undefined;
    const error: ControlError = { code, message };
    if (Array.isArray(details) && details.every((item) => typeof item === 'string')) error.details = details;
    if (typeof value.error.hint === 'string') error.hint = value.error.hint;
    return { id, ok: false, error };
  }
  return undefined;
}

/**
 * Splits a byte stream into lines, keeping a partial last line for the next chunk.
 * @example const lines = new LineSplitter(); socket.on('data', (chunk) => lines.push(chunk).forEach(handle));
 */
export class LineSplitter {
  private buffer = '';

  constructor(private readonly limit: number = maxLineBytes) {}

  /** Returns the complete lines in this chunk; throws when a line grows past the limit. */
  push(chunk: Buffer | string): string[] {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop() ?? '';
    if (Buffer.byteLength(this.buffer) > this.limit) {
      this.buffer = '';
      throw new RangeError(`control message longer than ${this.limit} bytes`);
    }
    return parts.filter((line) => line.trim() !== '');
  }
}
