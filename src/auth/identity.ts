// Who a user is and what they may do: the email that names them (compared in lower case, so that
// Alice@Example.com and alice@example.com are one user) and their roles. A role is `@teleadmin`,
// which may change things, or any other name, which may only look.

import { adminRole } from '../api/panel-protocol.ts';
import { GravityError } from '../errors.ts';

/** The longest email accepted (RFC 5321's path limit). */
export const maxEmailLength = 254;
export const maxRoleLength = 64;

const localPattern = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/u;
const labelPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/u;
const rolePattern = /^[A-Za-z0-9_@.-]+$/u;

/** What is wrong with an email, or undefined when it is one. */
function emailProblem(email: string): string | undefined {
  if (email === '') return 'an email is required';
  if (email.length > maxEmailLength) return `an email is at most ${maxEmailLength} characters`;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return 'an email is name@domain';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!localPattern.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return 'the part before @ may hold letters, digits and !#$%&\'*+/=?^_`{|}~.- (no leading, trailing or double dot)';
  }
  if (!domain.split('.').every((label) => labelPattern.test(label))) return 'the part after @ must be a domain name such as example.com';
  return undefined;
}

/**
 * The email as gravity keeps it (trimmed, lower case); E_USER_INVALID when it is not one.
 * @example parseEmail(' Alice@Example.com ') // 'alice@example.com'
 */
export function parseEmail(text: string): string {
  const email = text.trim().toLowerCase();
  const problem = emailProblem(email);
  if (problem !== undefined) {
    throw new GravityError('E_USER_INVALID', `${JSON.stringify(text)} is not a valid email: ${problem}`, { hint: 'give the email the user signs in with, e.g. alice@example.com' });
  }
  return email;
}

/** The email as gravity keeps it, or undefined when it is not one (sign-in does not say why). */
export function normalizeEmail(text: string): string | undefined {
  const email = text.trim().toLowerCase();
  return emailProblem(email) === undefined ? email : undefined;
}

/**
 * Roles as given (each `@teleadmin` or a name of letters, digits and `-_@.`), without repeats; at
 * least one. E_USER_INVALID lists every bad one.
 * @example parseRoles(['@teleadmin', 'viewer']) // ['@teleadmin', 'viewer']
 */
export function parseRoles(roles: readonly string[]): string[] {
  const cleaned = roles.map((role) => role.trim()).filter((role) => role !== '');
  if (cleaned.length === 0) {
    throw new GravityError('E_USER_INVALID', 'give at least one role', { hint: `${adminRole} may change things; any other role name may only look` });
  }
  const problems = cleaned
    .filter((role) => !rolePattern.test(role) || role.length > maxRoleLength)
    .map((role) => `${JSON.stringify(role)}: a role is ${adminRole} or a name of up to ${maxRoleLength} letters, digits and -_@.`);
  if (problems.length > 0) {
    throw new GravityError('E_USER_INVALID', `invalid role${problems.length === 1 ? '' : 's'}`, {
      details: problems,
      hint: `give roles as --roles=${adminRole} or --roles=viewer,ops`,
    });
  }
  return [...new Set(cleaned)];
}

/**
 * Roles from a comma-separated flag value, as `--roles=@teleadmin,viewer`.
 * @example parseRoleList('@teleadmin, viewer') // ['@teleadmin', 'viewer']
 */
export function parseRoleList(text: string): string[] {
  return parseRoles(text.split(','));
}

/** True if the roles let a user change things. */
export function isAdmin(roles: readonly string[]): boolean {
  return roles.includes(adminRole);
}
