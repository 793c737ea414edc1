// A pino logger that keeps its records in memory, for tests that assert what was logged (levels,
// fields, order) without parsing a process's stdout.

import { createLogger } from '../../src/log.ts';
import type { Logger } from '../../src/log.ts';

export interface CapturedLog {
  logger: Logger;
  records: Record<string, unknown>[];
}

/**
 * @example const { logger, records } = captureLog(); logger.info({ a: 1 }, 'hi'); records[0].msg === 'hi'
 */
export function captureLog(options: { debug?: boolean; env?: Record<string, string | undefined> } = {}): CapturedLog {
  const records: Record<string, unknown>[] = [];
  const logger = createLogger({
    debug: options.debug ?? true,
    env: options.env ?? {},
    destination: {
      write(line: string) {
        records.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, records };
}
