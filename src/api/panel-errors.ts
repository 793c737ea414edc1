// How the Control Panel answers a refusal or a failure: the HTTP status of each catalogue code it
// uses, and the body every error has ({"code", "message", "details"?}). A store that cannot be read
// or written (a full, read-only or failing disk) is the agent being unavailable, not the request being
// wrong: it answers 503 E_STORE_UNAVAILABLE with Retry-After, and the file's details stay in the log.

import type { FastifyReply } from 'fastify';
import { GravityError, isGravityError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import type { PanelErrorBody } from './panel-protocol.ts';

const httpStatus: Partial<Record<ErrorCode, number>> = {
  E_REQUEST_INVALID: 400,
  E_USER_INVALID: 400,
  E_TTL_INVALID: 400,
  E_PASSWORD_WEAK: 400,
  E_AUTH_REQUIRED: 401,
  E_AUTH_FAILED: 401,
  E_TOKEN_INVALID: 401,
  E_FORBIDDEN: 403,
  E_CSRF: 403,
  E_USER_NOT_FOUND: 404,
  E_NOT_FOUND: 404,
  E_OPERATION_NOT_FOUND: 404,
  E_STATECHART_UNKNOWN: 404,
  E_METHOD_NOT_ALLOWED: 405,
  E_USER_EXISTS: 409,
  E_TOKEN_EXPIRED: 410,
  E_TOKEN_USED: 410,
  E_RATE_LIMITED: 429,
  E_INTERNAL: 500,
  E_STORE_UNAVAILABLE: 503,
  E_PANEL_BUSY: 503,
};

/** Seconds a client is asked to wait before trying again after a 503. */
export const unavailableRetryAfterSeconds = 5;

/** The HTTP status of a catalogue code; 400 for the user's mistakes it does not name, 500 for ours. */
export function panelHttpStatus(error: GravityError): number {
  return httpStatus[error.code] ?? (error.userError ? 400 : 500);
}

/** The error a client is told about: a store failure becomes E_STORE_UNAVAILABLE. */
export function publicError(error: GravityError): GravityError {
  if (error.code !== 'E_STORE') return error;
  return new GravityError('E_STORE_UNAVAILABLE', "the agent cannot use its store right now (its disk may be full, read-only or failing); try again later, and see the agent's log", {
    cause: error,
  });
}

export function errorBody(error: GravityError): PanelErrorBody {
  return { code: error.code, message: error.message, ...(error.details.length > 0 ? { details: [...error.details] } : {}) };
}

/** Whether an error is one the store raised about its file (logged with its details, answered 503). */
export function isStoreFailure(error: unknown): error is GravityError {
  return isGravityError(error, 'E_STORE');
}

/** Answers the error: its status, Retry-After on a 503, the body. */
export function sendError(reply: FastifyReply, error: GravityError): FastifyReply {
  const shown = publicError(error);
  const status = panelHttpStatus(shown);
  if (status === 503) reply.header('retry-after', String(unavailableRetryAfterSeconds));
  return reply.code(status).send(errorBody(shown));
}
