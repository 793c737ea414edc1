// Turns the errors Node raises for sockets, files and name lookups into the short reasons an operator
// recognises from the seed's probe errors (`dial unix /var/run/docker.sock: connect: no such file or
// directory`): the strerror text rather than Node's `connect ENOENT /var/run/docker.sock`.

const reasons: Record<string, string> = {
  EACCES: 'permission denied',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EAI_AGAIN: 'temporary failure in name resolution',
  EAI_FAIL: 'non-recoverable failure in name resolution',
  ECONNABORTED: 'software caused connection abort',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTDOWN: 'host is down',
  EHOSTUNREACH: 'no route to host',
  EINVAL: 'invalid argument',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ENETDOWN: 'network is down',
  ENETUNREACH: 'network is unreachable',
  ENFILE: 'too many open files in system',
  ENODATA: 'no such host',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  ENOTFOUND: 'no such host',
  ENOTSOCK: 'socket operation on non-socket',
  EPERM: 'operation not permitted',
  EPIPE: 'broken pipe',
  EPROTO: 'protocol error',
  ESERVFAIL: 'server misbehaving',
  ETIMEDOUT: 'connection timed out',
};

/** TLS verification failures (Node's codes from OpenSSL), reported with what to do about them. */
const tlsCodes = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/**
 * What Node 24 adds to some of those messages (self-signed, unknown issuer): a Node command-line flag,
 * which an operator of the agent cannot pass. The hint after it says what to do instead.
 */
const nodeSystemCaHint = /;\s*if the root CA is installed locally, try running Node\.js with\s+--use-system-ca\s*$/u;

/** The `code` of a Node system error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Collapses a text to one line (probe errors are one line). */
export function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' | ');
}

/**
 * The reason an error happened, as an operator reads it.
 * @example describeError(Object.assign(new Error('connect ENOENT /x'), { code: 'ENOENT' })) // 'no such file or directory'
 */
export function describeError(error: unknown): string {
  const code = errorCode(error);
  if (code !== undefined && tlsCodes.has(code)) {
    return `tls: ${oneLine((error as Error).message).replace(nodeSystemCaHint, '')} (trust the server's CA with caFile, or set tlsVerify: false)`;
  }
  if (code === 'ECONNRESET' && error instanceof Error && error.message === 'socket hang up') {
    return 'the server closed the connection without answering';
  }
  if (code !== undefined && reasons[code] !== undefined) return reasons[code];
  if (error instanceof Error) return oneLine(error.message);
  return oneLine(String(error));
}
