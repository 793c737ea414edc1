// `gravity start` on a node where the agent is the systemd service: `systemctl enable --now
// gravity-agent.service`, the reverse of `gravity stop`'s "stop and disable". With Type=notify,
// systemctl returns once the agent has said READY=1 (or failed to).

import { managedBySystemd } from './agent-service.ts';
import { describeCommand, systemdTool } from './systemctl.ts';

export interface ServiceStart {
  unit: string;
  command: string;
}

/**
 * Starts the service when the state dir's agent is one; undefined when it is not (run it in the foreground).
 * @example if ((await startAgentService(stateDir)) === undefined) await runAgentProcess(...);
 */
export async function startAgentService(stateDir: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<ServiceStart | undefined> {
  const service = await managedBySystemd(stateDir, env);
  if (service === undefined) return undefined;
  const args = ['enable', '--now', service.unit];
  await systemdTool('systemctl', args);
  return { unit: service.unit, command: describeCommand('systemctl', args) };
}
