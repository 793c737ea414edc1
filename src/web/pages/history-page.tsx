// The history page: the status timeline from /api/history, filtered by node, checker, event type and
// a time range. The filter lives in the page's URL (the same query /api/history takes), so a
// filtered view survives a reload; the list is fetched again whenever a status changes live.

import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { panelRoutes } from '../../api/panel-protocol.ts';
import type { HistoryResponse } from '../../api/panel-protocol.ts';
import type { ClusterReport } from '../../health/types.ts';
import { historyEventTypes } from '../../store/types.ts';
import type { HistoryEvent } from '../../store/types.ts';
import { getJson, isAbort } from '../api/http.ts';
import { formatTime } from '../model/format.ts';
import { healthSignature } from '../model/health-signature.ts';
import { emptyHistoryForm, historyFilterFromForm, historyFilterFromQuery, historyFormValues, historyQueryString } from '../model/history-query.ts';
import type { HistoryFormValues } from '../model/history-query.ts';
import { navigate } from '../router.tsx';

export interface HistoryPageProps {
  search: string;
  status: ClusterReport | undefined;
}

function eventClass(event: HistoryEvent): string {
  return /Degraded|Failed/u.test(event.type) ? 'history-row bad' : 'history-row good';
}

export function HistoryPage({ search, status }: HistoryPageProps): JSX.Element {
  const query = historyQueryString(historyFilterFromQuery(search));
  const [form, setForm] = useState<HistoryFormValues>(() => historyFormValues(historyFilterFromQuery(search)));
  const [events, setEvents] = useState<HistoryEvent[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const signature = healthSignature(status);

  useEffect(() => setForm(historyFormValues(historyFilterFromQuery(query))), [query]);

  useEffect(() => {
    const abort = new AbortController();
    getJson<HistoryResponse>(`${panelRoutes.history}${query}`, { signal: abort.signal }).then(
      (answer) => {
        setEvents(answer.events);
        setError(undefined);
      },
      (failure: unknown) => {
        if (!isAbort(failure)) setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
    return () => abort.abort();
  }, [query, signature]);

  const field = (name: keyof HistoryFormValues) => (event: Event): void => {
    const target = event.currentTarget as HTMLInputElement | HTMLSelectElement;
    setForm({ ...form, [name]: target.value });
  };
  const onSubmit = (event: Event): void => {
    event.preventDefault();
    navigate(`${panelRoutes.historyPage}${historyQueryString(historyFilterFromForm(form))}`);
  };
  const onClear = (): void => {
    setForm(emptyHistoryForm);
    navigate(panelRoutes.historyPage);
  };

  const nodes = status?.nodes.map((node) => node.name) ?? [];
  const checkers = [...new Set(status?.nodes.flatMap((node) => node.probes.map((probe) => probe.name)) ?? [])];
  const newestFirst = events === undefined ? undefined : [...events].reverse();

  return (
    <div class="page history-page" data-testid="history-page">
      <h1>Status history</h1>
      <form class="filters" data-testid="history-filters" onSubmit={onSubmit}>
        <label>
          Node
          <input name="node" list="history-nodes" value={form.node} onInput={field('node')} placeholder="any" />
        </label>
        <label>
          Checker
          <input name="checker" list="history-checkers" value={form.checker} onInput={field('checker')} placeholder="any" />
        </label>
        <label>
          Event
          <select name="type" value={form.type} onChange={field('type')}>
            <option value="">any</option>
            {historyEventTypes.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input name="from" type="datetime-local" value={form.from} onInput={field('from')} />
        </label>
        <label>
          To
          <input name="to" type="datetime-local" value={form.to} onInput={field('to')} />
        </label>
        <button type="submit" data-testid="history-apply">
          Apply
        </button>
        <button type="button" class="secondary" data-testid="history-clear" onClick={onClear}>
          Clear
        </button>
        <datalist id="history-nodes">
          {nodes.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <datalist id="history-checkers">
          {checkers.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </form>
      {error !== undefined && (
        <p class="error-text" data-testid="history-error">
          {error}
        </p>
      )}
      {newestFirst === undefined ? (
        <p class="muted">Loading…</p>
      ) : newestFirst.length === 0 ? (
        <p class="muted" data-testid="history-empty">
          No events{query === '' ? '' : ' match the filter'}.
        </p>
      ) : (
        <>
          <p class="muted">{newestFirst.length} events, newest first</p>
          <table class="table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Event</th>
                <th>Node</th>
                <th>Checker</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {newestFirst.map((event) => (
                <tr key={event.id} class={eventClass(event)} data-testid="history-row" data-type={event.type} data-node={event.node ?? ''} data-checker={event.checker ?? ''}>
                  <td class="time">{formatTime(event.time)}</td>
                  <td>{event.type}</td>
                  <td>{event.node ?? ''}</td>
                  <td>{event.checker ?? ''}</td>
                  <td class="detail">{event.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
