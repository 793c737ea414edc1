// The one catalogue of errors gravity reports: a stable code per failure, the CLI exit code it maps
// to, and whether it is the user's mistake (one line and a hint) or ours (a stack with --debug).
// Tests assert codes, never message text.

export interface ErrorDefinition {
  /** Process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;
  /** `user`: bad input or environment the user can fix; `internal`: a fault of gravity itself. */
  readonly kind: 'user' | 'internal';
  /** Default one-line message; the thrower usually gives a more specific one. */
  readonly message: string;
  /** What the user can do about it. */
  readonly hint?: string;
}

/** Exit codes, documented in docs/errors.md. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  agentState: 3,
  operationFailed: 4,
  clusterDegraded: 5,
  supervisorGaveUp: 70,
} as const;

export const errorCatalogue = {
  E_USAGE: { exitCode: ExitCode.usage, kind: 'user', message: 'invalid command line', hint: "run 'gravity --help'" },
  E_SPEC_INVALID: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'invalid supervision tree spec',
    hint: 'fix every error listed above; docs/supervision.md describes the spec',
  },
  E_FILE_UNREADABLE: { exitCode: ExitCode.usage, kind: 'user', message: 'cannot read file' },
  E_FILE_PARSE: { exitCode: ExitCode.usage, kind: 'user', message: 'cannot parse file' },
  E_STATE_DIR: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'cannot use the state directory',
    hint: 'run as root, or point --state-dir at a directory you own',
  },
  E_AGENT_NOT_RUNNING: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'no agent is running',
    hint: "start it with 'gravity start'",
  },
  E_AGENT_ALREADY_RUNNING: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'an agent is already running for this state directory',
    hint: "stop it first, or use another --state-dir",
  },
  E_AGENT_UNREACHABLE: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'the agent did not answer',
    hint: "check the agent's log; 'gravity start' runs it in the foreground",
  },
  E_CONTROL_REQUEST: { exitCode: ExitCode.usage, kind: 'user', message: 'the agent refused the request' },
  E_SUPERVISOR_GAVE_UP: {
    exitCode: ExitCode.supervisorGaveUp,
    kind: 'internal',
    message: 'a supervisor reached its restart intensity and gave up',
  },
  E_CHILD_START_FAILED: { exitCode: ExitCode.internal, kind: 'internal', message: 'a child failed to start' },
  E_CHILD_NOT_FOUND: { exitCode: ExitCode.usage, kind: 'user', message: 'no such child in the supervision tree' },
  E_ACTOR_UNKNOWN: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'unknown actor',
    hint: "see 'gravity debug tree --help' for the built-in actors",
  },
  E_WORKER_EXITED: { exitCode: ExitCode.internal, kind: 'internal', message: 'worker thread exited' },
  E_WORKER_UNRESPONSIVE: {
    exitCode: ExitCode.internal,
    kind: 'internal',
    message: 'worker thread stopped answering its heartbeat',
  },
  E_TASK_TIMEOUT: { exitCode: ExitCode.internal, kind: 'internal', message: 'task overran its deadline' },
  E_TASK_FAILED: { exitCode: ExitCode.internal, kind: 'internal', message: 'task failed' },
  E_POOL_CLOSED: { exitCode: ExitCode.internal, kind: 'internal', message: 'the task pool is closed' },
  E_INTERNAL: { exitCode: ExitCode.internal, kind: 'internal', message: 'internal error' },
  E_AGENT_ACCESS_DENIED: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: "permission denied on the agent's control socket",
    hint: "run the command as the agent's user (root for the default --state-dir)",
  },
  E_CONTROL_PROTOCOL: {
    exitCode: ExitCode.internal,
    kind: 'internal',
    message: 'the agent sent a malformed control-channel message',
  },
  E_STORE: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'cannot use the store in the state directory',
    hint: "check gravity.db in the state directory: it must be a SQLite database the agent's user can read and write",
  },
  E_CLUSTER_DEGRADED: {
    exitCode: ExitCode.clusterDegraded,
    kind: 'user',
    message: 'the cluster is degraded',
    hint: "'gravity status history' shows what changed and when",
  },
  E_CONFIG_INVALID: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'invalid configuration',
    hint: 'fix every problem listed above (file:line:column); docs/configuration.md describes every key',
  },
  E_TLS: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: "cannot create the health endpoint's TLS certificate",
    hint: "check the state directory's tls/ folder (see docs/health-endpoint.md)",
  },
  E_LISTEN: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'cannot listen on the configured address',
    hint: 'another process may hold the port: change health.listen, panel.listen or rpc.listen in the config',
  },
  E_PHASE_FAILED: {
    exitCode: ExitCode.operationFailed,
    kind: 'user',
    message: 'a phase of the operation failed',
    hint: "'gravity plan' shows the failed phase and its error; fix the cause, then 'gravity plan resume', or undo with 'gravity rollback'",
  },
  E_PLAN_INVALID: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'invalid plan file',
    hint: 'fix every problem listed above (file:line:column); docs/plans.md describes every key',
  },
  E_PHASE_NOT_FOUND: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'no such phase in the plan',
    hint: "'gravity plan' lists the phases; a path is the phase's full id, e.g. /masters/node-1/drain",
  },
  E_PHASE_PATH: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'invalid phase path',
    hint: "write the full id from the Phase column of 'gravity plan', e.g. /masters/node-1/drain",
  },
  E_OPERATION_NOT_FOUND: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'no such operation',
    hint: "'gravity plan' shows the last operation; pass an id it knows with --operation-id",
  },
  E_OPERATION_EXISTS: {
    exitCode: ExitCode.internal,
    kind: 'internal',
    message: 'an operation with this id already exists',
  },
  E_PLAN_REFUSED: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'the plan engine refused the request',
  },
  E_OPERATION_LOCKED: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'another operation run holds the cluster operation lock',
    hint: "wait for it to finish, or follow it with 'gravity plan --follow'",
  },
  E_SYSTEMD: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'systemd refused or is missing',
    hint: "'systemctl status gravity-agent' and 'journalctl -xe' tell more",
  },
  E_AGENT_STOP_TIMEOUT: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'the agent did not stop in time',
    hint: "its log says what it waits for; a second SIGTERM makes it exit at once",
  },
  E_AGENT_START_FAILED: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'the agent started in the background did not come up',
    hint: "read its log: <state-dir>/logs/agent.log, or 'journalctl -u gravity-agent'",
  },
  E_BACKGROUND_FAILED: {
    exitCode: ExitCode.internal,
    kind: 'internal',
    message: 'a background operation ended before it started its work',
  },
  E_STATECHART_UNKNOWN: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'no machine of that name to draw',
    hint: "'gravity debug statechart --list' lists the machines",
  },
  E_STATECHART_MISMATCH: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: "the actor's state is not a state of that machine",
    hint: "draw the machine the actor runs; 'gravity debug tree' shows each actor's state",
  },
  E_GRAPHVIZ: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: "Graphviz's dot cannot render the chart",
    hint: 'install Graphviz (Debian: apt-get install graphviz), or use --format dot and render it elsewhere',
  },
  E_USER_INVALID: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'invalid email or role',
    hint: 'an email is name@domain; a role is @teleadmin or a name of letters, digits and -_@.',
  },
  E_TTL_INVALID: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'invalid token time to live',
    hint: 'give a duration such as 30m, 1h or 1h30m, from 1m up to the maximum (48h for a signup, 24h for a reset)',
  },
  E_USER_EXISTS: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'a user with this email already exists',
    hint: "'gravity users reset EMAIL' makes a password reset link for an existing user",
  },
  E_USER_NOT_FOUND: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'no user with this email',
    hint: "'gravity users ls' lists the users; 'gravity users add EMAIL --roles=ROLE' invites a new one",
  },
  E_REQUEST_INVALID: { exitCode: ExitCode.usage, kind: 'user', message: 'the request is not valid' },
  E_NOT_FOUND: { exitCode: ExitCode.usage, kind: 'user', message: 'nothing at that address' },
  E_AUTH_REQUIRED: { exitCode: ExitCode.usage, kind: 'user', message: 'sign in first', hint: 'sign in again on the login page' },
  E_AUTH_FAILED: { exitCode: ExitCode.usage, kind: 'user', message: 'wrong email or password' },
  E_FORBIDDEN: { exitCode: ExitCode.usage, kind: 'user', message: 'your roles do not allow this', hint: 'ask a user with the @teleadmin role' },
  E_CSRF: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'cross-site request refused',
    hint: 'reload the Control Panel page and try again',
  },
  E_TOKEN_INVALID: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'this link is not valid',
    hint: "ask an administrator for a new link ('gravity users add' or 'gravity users reset' on a cluster node)",
  },
  E_TOKEN_EXPIRED: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'this link has expired',
    hint: "ask an administrator for a new link ('gravity users add' or 'gravity users reset' on a cluster node)",
  },
  E_TOKEN_USED: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'this link has already been used',
    hint: "sign in with your password, or ask an administrator for a new link ('gravity users reset' on a cluster node)",
  },
  E_PASSWORD_WEAK: { exitCode: ExitCode.usage, kind: 'user', message: 'the password is too weak', hint: 'choose a password that fixes every problem listed' },
  E_RATE_LIMITED: { exitCode: ExitCode.usage, kind: 'user', message: 'too many failed sign-in attempts', hint: 'wait a minute, then try again' },
  E_FILE_TOO_LARGE: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'the file is too large',
    hint: 'a config, manifest, plan or spec file is at most 1 MiB; docs/configuration.md lists every limit',
  },
  E_METHOD_NOT_ALLOWED: { exitCode: ExitCode.usage, kind: 'user', message: 'this address does not take that method', hint: 'the Allow header lists the methods it takes' },
  E_STORE_UNAVAILABLE: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'the agent cannot use its store right now',
    hint: "free space on the state directory's file system, or make it writable; the agent's log names the file and SQLite's error",
  },
  E_PANEL_BUSY: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'the Control Panel has as much of this work as it may take at once',
    hint: 'close some open panels (browser tabs), or try again shortly',
  },
  E_NOT_PROVIDED: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'this command is not provided by this version of gravity yet',
  },
  E_SUPERVISOR_NOT_RUNNING: { exitCode: ExitCode.internal, kind: 'internal', message: 'a child was added to a supervisor that is not running' },
  E_CHILD_EXISTS: { exitCode: ExitCode.internal, kind: 'internal', message: 'a child was added under an id its supervisor already has' },
  E_AGENT_LOST: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: 'the agent stopped while it ran the operation',
    hint: "start the agent again ('gravity start'), then 'gravity plan' shows where it stopped and 'gravity plan resume' finishes it",
  },
  E_PKI: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: "cannot use the cluster's certificates",
    hint: "check the state directory's pki/ folder (docs/cluster-pki.md)",
  },
  E_PKI_KEY_MISMATCH: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'a private key in the pki folder does not belong to its certificate',
    hint: 'put back the key that was made with the certificate (from a backup); docs/cluster-pki.md',
  },
  E_PKI_KEY_EXPOSED: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'a private key in the pki folder may be read by other users',
    hint: "the key may have leaked: if it cannot have, 'chmod 600' it; docs/cluster-pki.md",
  },
  E_PKI_FILE_TOO_LARGE: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'a file in the pki folder is too large to be a certificate or a key',
    hint: 'a certificate or key file is at most 64 KiB: put back the file gravity made',
  },
  E_PKI_NAME_INVALID: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: 'a name or address cannot go into a certificate',
    hint: 'a cluster or node name is letters, digits and ._- (at most 63 characters); an address is an IP address or a host name',
  },
  E_CERT_INVALID: { exitCode: ExitCode.usage, kind: 'user', message: 'the certificate was not issued by the cluster CA or cannot be used now' },
  E_RPC_UNREACHABLE: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: "a peer's node RPC did not answer",
    hint: 'check that the agent on that node runs with rpc.listen set, and that its address and port are reachable from here',
  },
  E_RPC_REFUSED: {
    exitCode: ExitCode.usage,
    kind: 'user',
    message: "a peer's node RPC and this node did not accept each other's certificates",
    hint: 'both nodes need certificates of the same cluster CA, and the peer\'s must name the node it is called as (docs/cluster-rpc.md)',
  },
  E_RPC_RESPONSE: {
    exitCode: ExitCode.agentState,
    kind: 'user',
    message: "a peer's node RPC gave an answer that cannot be used",
    hint: "check the peer agent's log and version",
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface GravityErrorOptions {
  hint?: string;
  /** Every individual problem, when one error reports several at once (spec or config validation). */
  details?: readonly string[];
  cause?: unknown;
}

/**
 * An error with a stable code from the catalogue.
 * @example throw new GravityError('E_AGENT_NOT_RUNNING', `no agent is running for state dir ${dir}`)
 */
export class GravityError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hint: string | undefined;
  readonly details: readonly string[];
  readonly userError: boolean;

  constructor(code: ErrorCode, message?: string, options: GravityErrorOptions = {}) {
    const definition: ErrorDefinition = errorCatalogue[code];
    super(message ?? definition.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GravityError';
    this.code = code;
    this.exitCode = definition.exitCode;
    this.hint = options.hint ?? definition.hint;
    this.details = options.details ?? [];
    this.userError = definition.kind === 'user';
  }
}

export function isGravityError(error: unknown, code?: ErrorCode): error is GravityError {
  return error instanceof GravityError && (code === undefined || error.code === code);
}

/** An error as it crosses a thread or process boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: typeof error === 'string' ? error : safeDescribe(error) };
}

/** Rebuilds an Error from its serialized form; catalogue codes come back as GravityError. */
export function deserializeError(serialized: SerializedError): Error {
  let error: Error;
  if (serialized.code !== undefined && serialized.code in errorCatalogue) {
    error = new GravityError(serialized.code as ErrorCode, serialized.message);
  } else {
    error = new Error(serialized.message);
    if (serialized.code !== undefined) (error as Error & { code?: string }).code = serialized.code;
  }
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}

function safeDescribe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
