// The `docker` checker: the Docker daemon answers `GET /version` on its unix socket, as Satellite's
// docker checker does. Its failure is the seed's own example of a probe error:
// `healthz check failed: Get http://docker/version: dial unix /var/run/docker.sock: connect: no such file or directory`.

import { KeyReader } from './support/keys.ts';
import { httpRequest } from './support/http-request.ts';
import { bodySnippet, parseJsonObject } from './support/http-keys.ts';
import type { CheckContext, Checker, CheckResult } from './types.ts';

export const dockerCheckerId = 'docker';

export interface DockerConfig {
  socket: string;
}

export const dockerDefaults = { socket: '/var/run/docker.sock' };

/**
 * @example probes: [{ checker: docker }]   # or socket: /run/user/1000/docker.sock
 */
export const dockerChecker: Checker<DockerConfig> = {
  id: dockerCheckerId,
  description: 'the Docker daemon answers GET /version on its unix socket',
  keys: ['socket'],
  compile(raw, at, problems) {
    const keys = new KeyReader(raw, at, problems);
    const socket = keys.string('socket', { what: 'the path of the Docker daemon socket', fallback: dockerDefaults.socket });
    return socket === undefined ? undefined : { socket };
  },
  async check(config: DockerConfig, context: CheckContext): Promise<CheckResult> {
    const label = 'healthz check failed: Get http://docker/version';
    const outcome = await httpRequest({
      url: 'http://docker/version',
      socketPath: config.socket,
      signal: context.signal,
      timeoutMs: context.timeoutMs,
    });
    if (!outcome.ok) return { status: 'failed', error: `${label}: ${outcome.error}` };
    if (outcome.status !== 200) {
      return { status: 'failed', error: `${label}: status ${outcome.status} ${outcome.statusText} (body: ${bodySnippet(outcome.body)})` };
    }
    const parsed = parseJsonObject(outcome.body);
    if ('error' in parsed) return { status: 'failed', error: `${label}: ${parsed.error}` };
    if (typeof parsed.value.Version !== 'string') {
      return { status: 'failed', error: `${label}: the answer has no Version: ${bodySnippet(outcome.body)}` };
    }
    return { status: 'running' };
  },
};
