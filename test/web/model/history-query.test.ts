// The history filter between the form, the page's URL and the /api/history query: empty fields are
// left out, the time range is inclusive to the minute, bad parameters are dropped, and every form
// survives the round trip through the URL.

import assert from 'node:assert/strict';
import {
  emptyHistoryForm,
  historyFilterFromForm,
  historyFilterFromQuery,
  historyFormValues,
  historyQueryString,
  localInputValue,
  parseLocalInput,
} from '../../../src/web/model/history-query.ts';

describe('web/history-query', () => {
  it('sends only what the form fills in', () => {
    assert.deepEqual(historyFilterFromForm(emptyHistoryForm), {});
    assert.equal(historyQueryString({}), '');
    const filter = historyFilterFromForm({ node: ' node-1 ', checker: 'tcp-target', type: 'Probe Failed', from: '', to: '' });
    assert.deepEqual(filter, { node: 'node-1', checker: 'tcp-target', type: 'Probe Failed' });
    assert.equal(historyQueryString(filter), '?node=node-1&checker=tcp-target&type=Probe+Failed');
  });

  it('turns the time range into epoch ms, `to` covering its whole minute', () => {
    const since = new Date(2026, 10, 25, 9, 30).getTime();
    const filter = historyFilterFromForm({ ...emptyHistoryForm, from: '2026-11-25T09:30', to: '2026-11-25T10:15' });
    assert.equal(filter.since, since);
    assert.equal(filter.until, new Date(2026, 10, 25, 10, 16).getTime() - 1);
    assert.equal(parseLocalInput('yesterday'), undefined);
    assert.equal(localInputValue(since), '2026-11-25T09:30');
  });

  it('round-trips a form through the URL', () => {
    const form = { node: 'n1', checker: 'disk', type: 'Node Degraded', from: '2026-01-02T03:04', to: '2026-01-02T05:06' };
    const query = historyQueryString(historyFilterFromForm(form));
    assert.deepEqual(historyFormValues(historyFilterFromQuery(query)), form);
  });

  it('drops unknown event types and malformed numbers from a URL', () => {
    assert.deepEqual(historyFilterFromQuery('?type=Everything&since=abc&until=-5&limit=0&node='), {});
    assert.deepEqual(historyFilterFromQuery('?limit=50&since=10'), { limit: 50, since: 10 });
  });
});
