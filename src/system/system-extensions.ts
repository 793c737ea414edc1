// The agent extensions that come from the process's environment rather than its config: the sd_notify
// extension when systemd gave the agent a NOTIFY_SOCKET, and the debug hooks when asked for. The
// notify variables are taken out of the environment, as sd_notify's unset_environment does, so that
// probes, hooks and phases the agent starts never talk to systemd in its name.

import type { Logger } from 'pino';
import type { AgentExtension } from '../supervisor/agent.ts';
import { debugHooksExtension, debugHooksSettings } from './debug-hooks.ts';
import { notifyExtension } from './notify-extension.ts';
import { notifyVariables, parseNotifyEnv } from './notify-protocol.ts';

/**
 * Extensions to add after every other one (the notify extension's READY=1 must come last).
 * @example runAgent({ ..., extensions: [healthExtension(config), ...systemExtensions(process.env, logger)] });
 */
export function systemExtensions(env: Record<string, string | undefined>, logger: Logger, pid = process.pid): AgentExtension[] {
  const extensions: AgentExtension[] = [];
  const debugHooks = debugHooksSettings(env);
  if (debugHooks !== undefined) extensions.push(debugHooksExtension(debugHooks));
  const { notify, problems } = parseNotifyEnv(env, pid);
  for (const problem of problems) logger.warn(problem);
  for (const name of notifyVariables) delete env[name];
  if (notify !== undefined) extensions.push(notifyExtension({ notify }));
  return extensions;
}
