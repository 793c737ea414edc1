// How much the Control Panel does for any one client: the size of what one answer or one stream event
// may carry, how many live streams it serves, how much a slow stream client may leave unread, and the
// largest request body. Every figure is documented in docs/control-panel.md ("Limits").

export const panelLimits = {
  /** The operations listed by GET /api/operations and the stream's `operations` event (newest first). */
  operationsListed: 20,
  /** A summary's description is cut to this many characters. */
  summaryTextChars: 200,
  /** Every text in an operation's detail (descriptions, errors, commands) is cut to this many characters. */
  detailTextChars: 2_000,
  /** The largest GET /api/operations/:id answer: phases past this are left out (and counted). */
  detailBytes: 1024 * 1024,
  /** The largest stream event; a larger one is replaced by a `skipped` event. */
  streamEventBytes: 1024 * 1024,
  /** The largest answer of any other API route; a larger one is refused with E_INTERNAL and logged. */
  responseBytes: 8 * 1024 * 1024,
  /** Live streams served at once; one more is refused with 503 E_PANEL_BUSY. */
  streamClients: 64,
  /** Bytes a stream client may leave unread before it is disconnected (it reconnects, and starts afresh). */
  streamBufferedBytes: 1024 * 1024,
  /** History queries waiting their turn (they run one per event-loop turn); one more is refused with 503 E_PANEL_BUSY. */
  historyQueued: 64,
  /** The largest request body. */
  bodyBytes: 64 * 1024,
} as const;
