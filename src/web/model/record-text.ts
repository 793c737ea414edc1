// One line per inspection record for the actor page's event list: what happened, in words.

import type { InspectionRecord } from '../../actors/inspection.ts';
import { stateValueText } from './lit-states.ts';

/** The record's kind as the list labels it. */
export function recordLabel(record: InspectionRecord): string {
  switch (record.kind) {
    case 'event':
      return 'event';
    case 'snapshot':
      return 'state';
    case 'supervisor':
      return 'supervisor';
    case 'actor.created':
      return 'started';
    case 'actor.stopped':
      return 'stopped';
  }
}

/**
 * What the record says.
 * @example recordText({ kind: 'event', path: 'p', time: 0, event: { type: 'PING' } }) // 'PING'
 */
export function recordText(record: InspectionRecord): string {
  switch (record.kind) {
    case 'event':
      return record.source === undefined ? record.event.type : `${record.event.type} (from ${record.source})`;
    case 'snapshot':
      return record.status === 'active' ? stateValueText(record.value) : `${stateValueText(record.value)} (${record.status})`;
    case 'supervisor': {
      const delay = record.delayMs === undefined ? '' : ` in ${record.delayMs} ms`;
      return `${record.action} ${record.child}${delay}: ${record.reason}`;
    }
    case 'actor.created':
      return record.logic === undefined ? 'actor created' : `actor created (${record.logic})`;
    case 'actor.stopped':
      return `actor stopped (${record.status})`;
  }
}
