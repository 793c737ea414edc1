// One line per inspection record for the actor page's event list: what happened, in words.

import type { InspectionRecord } from '../../actors/inspection.ts';
import { eventMeaning } from './event-meaning.ts';
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
 * What the record says; an event by what it means for an actor running `machine` (see event-meaning.ts).
 * @example recordText({ kind: 'event', path: 'p', time: 0, event: { type: 'xstate.after.untilNextCheck.probe.active.cycle.waiting' } }, 'probe') // 'timer: next check'
 */
export function recordText(record: InspectionRecord, machine?: string): string {
  switch (record.kind) {
    case 'event': {
      const { label } = eventMeaning(record.event, machine);
      return record.source === undefined || !sourceSaysMore(record.path, record.event.type, record.source) ? label : `${label} (from ${record.source})`;
    }
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

/**
 * Whether naming an event's sender adds anything: not when the actor sent it to itself, nor for
 * XState's own events (timers, an invoked actor's end), whose label already says where they come from.
 */
function sourceSaysMore(path: string, type: string, source: string): boolean {
  return !type.startsWith('xstate.') && source !== path.slice(path.lastIndexOf('/') + 1);
}

/** The raw event type behind an event record's text (for a tooltip), or undefined for other records. */
export function recordRawEvent(record: InspectionRecord): string | undefined {
  return record.kind === 'event' ? record.event.type : undefined;
}
