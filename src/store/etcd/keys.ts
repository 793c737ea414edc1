// The etcd store's key layout, in one place so that every module writes the same keys and the layout
// can be read (and documented, docs/store-etcd.md) at a glance. Every key lives under the store's
// prefix (`/gravity/<cluster>/` by default); names and ids inside keys are URI-encoded so that a `/`
// in them cannot make a key collide with another, and numbers are zero-padded so that the byte
// order of keys is their numeric order (a range read returns them sorted):
//
//   history/seq                                  the last sequence number given to an event
//   history/events/<time>/<seq>                  one event (JSON); listing since a time is a range read
//   history/ids/<id>                             the key of the event with that id (dedupe by id)
//   operations/seq                               the last sequence number given to an operation
//   operations/records/<id>                      an operation without its plan (JSON)
//   operations/plans/<id>                        its plan (JSON), written once
//   operations/order/<created>/<seq>             its id: operations by creation, ties in creation order
//   operations/change-seq/<id>                   the last sequence number of the operation's changelog
//   operations/changes/<id>/<seq>                one leaf state change (JSON), in the order appended
//   operations/processes/<id>/<phase>/<pgid>     a running phase's process group (JSON)
//   operations/lock                              the operation lock's holder (JSON), attached to a lease
//   users/records/<email>                        a user (JSON)
//   users/tokens/<hash>                          a signup or reset token (JSON)
//   users/newest-token/<email>/<kind>            the hash of the newest token of that kind for the email
//   users/sessions/<hash>                        a session (JSON)
//   users/sessions-of/<email>/<hash>             (empty) the sessions of a user, so a reset ends them all
//   users/session-gen/<email>                    rewritten when a session of the user starts
//
// Times are epoch ms shifted by 2^53 (so that any safe integer sorts), 17 digits; sequence numbers
// 16 digits.

/** The default prefix: one cluster's store among others' in one etcd. */
export const defaultEtcdPrefix = '/gravity/default/';

const timeOffset = 2n ** 53n;

/** A component of a key: URI-encoded, so that it holds no `/`. */
export function part(text: string): string {
  return encodeURIComponent(text);
}

/** A time (epoch ms, a safe integer) as a key component that sorts as the number does. */
export function timePart(time: number): string {
  if (!Number.isSafeInteger(time)) throw new RangeError(`a time must be a whole number of ms, got ${time}`);
  return (BigInt(time) + timeOffset).toString().padStart(17, '0');
}

/** A sequence number as a key component that sorts as the number does. */
export function seqPart(seq: number): string {
  return String(seq).padStart(16, '0');
}

/** The end of the range of keys that start with `prefix` (every key is ASCII: parts are URI-encoded). */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u007f`;
}

export const keys = {
  historySeq: 'history/seq',
  historyEvents: 'history/events/',
  historyEvent: (time: number, seq: number) => `history/events/${timePart(time)}/${seqPart(seq)}`,
  historyEventsFrom: (time: number) => `history/events/${timePart(time)}/`,
  historyId: (id: string) => `history/ids/${part(id)}`,

  operationSeq: 'operations/seq',
  operationRecords: 'operations/records/',
  operationRecord: (id: string) => `operations/records/${part(id)}`,
  operationPlan: (id: string) => `operations/plans/${part(id)}`,
  operationOrder: 'operations/order/',
  operationOrderOf: (created: number, seq: number) => `operations/order/${timePart(created)}/${seqPart(seq)}`,
  changeSeq: (id: string) => `operations/change-seq/${part(id)}`,
  changesOf: (id: string) => `operations/changes/${part(id)}/`,
  change: (id: string, seq: number) => `operations/changes/${part(id)}/${seqPart(seq)}`,
  processesOf: (id: string) => `operations/processes/${part(id)}/`,
  process: (id: string, phaseId: string, pgid: number) => `operations/processes/${part(id)}/${part(phaseId)}/${pgid}`,
  lock: 'operations/lock',

  users: 'users/records/',
  user: (email: string) => `users/records/${part(email)}`,
  tokens: 'users/tokens/',
  token: (hash: string) => `users/tokens/${part(hash)}`,
  newestToken: (email: string, kind: string) => `users/newest-token/${part(email)}/${kind}`,
  sessions: 'users/sessions/',
  session: (hash: string) => `users/sessions/${part(hash)}`,
  sessionsOf: (email: string) => `users/sessions-of/${part(email)}/`,
  sessionOf: (email: string, hash: string) => `users/sessions-of/${part(email)}/${part(hash)}`,
  sessionGen: (email: string) => `users/session-gen/${part(email)}`,
} as const;
