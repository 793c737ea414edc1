// The machines `gravity debug statechart` can draw, by the name the CLI takes, each with one line
// saying what it is. The definitions come straight from src/machines: what is drawn is what runs.

import type { AnyStateMachine } from 'xstate';
import { clusterMachine } from '../machines/cluster.ts';
import { hookJobMachine } from '../machines/hook-job.ts';
import { idleMachine } from '../machines/idle.ts';
import { nodeMachine } from '../machines/node.ts';
import { operationMachine } from '../machines/operation.ts';
import { phaseMachine } from '../machines/phase.ts';
import { planMachine } from '../machines/plan.ts';
import { probeMachine } from '../machines/probe.ts';
import { statusHookMachine } from '../machines/status-hook.ts';
import { supervisedChildMachine } from '../machines/supervised-child.ts';
import { taskPoolMachine } from '../machines/task-pool.ts';
import { workerHostMachine } from '../machines/worker-host.ts';

export interface DrawableMachine {
  /** The name the CLI takes, e.g. `probe`. */
  name: string;
  /** One line for `--list`. */
  description: string;
  machine: AnyStateMachine;
}

/**
 * Every drawable machine, in the order `--list` prints them.
 * @example drawableMachines.map((entry) => entry.name) // ['probe', 'node', ...]
 */
export const drawableMachines: readonly DrawableMachine[] = [
  { name: 'probe', description: 'one health check on a schedule, with a deadline and flap damping', machine: probeMachine },
  { name: 'node', description: "this node's health as the aggregate of its probes", machine: nodeMachine },
  { name: 'cluster', description: "the cluster's status from its nodes and the application status hook", machine: clusterMachine },
  { name: 'operation', description: 'one request on an operation (execute, resume, roll back, complete) as the actor operation:<id>', machine: operationMachine },
  { name: 'plan', description: "one pass of an operation's plan, step by step, stopping at the first failure", machine: planMachine },
  { name: 'phase', description: "one run of a phase's executor, its state stored before and after", machine: phaseMachine },
  { name: 'hook-job', description: 'one run of an application hook with Kubernetes Job semantics (deadline, retries)', machine: hookJobMachine },
  { name: 'status-hook', description: "the application status hook's schedule: run, record, wait, repeat", machine: statusHookMachine },
  {
    name: 'supervisor',
    description: "a child's life under its supervisor: start, run, exit, restart after backoff, stop",
    machine: supervisedChildMachine,
  },
  { name: 'worker-host', description: 'one worker thread hosting a child: load deadline, heartbeat, stop, exit', machine: workerHostMachine },
  { name: 'task-pool', description: "the agent's task pool as a supervised child: serve, drain on shutdown, fail on a pool error", machine: taskPoolMachine },
  { name: 'idle', description: 'a placeholder actor that runs until told to shut down', machine: idleMachine },
];

/**
 * The drawable machine of that name, or undefined.
 * @example findDrawableMachine('probe')?.machine.id === 'probe'
 */
export function findDrawableMachine(name: string): DrawableMachine | undefined {
  return drawableMachines.find((entry) => entry.name === name);
}

/**
 * The drawable machine's name for an actor logic, so that the tree names what an actor runs the way
 * the actors page and `debug statechart` look charts up; undefined for other logic. A machine with its
 * implementations provided keeps its definition, which is what is compared.
 * @example drawableNameOfLogic(phaseMachine.provide({ actors })) // 'phase'
 */
export function drawableNameOfLogic(logic: unknown): string | undefined {
  if (typeof logic !== 'object' || logic === null) return undefined;
  const config = (logic as { config?: unknown }).config;
  if (config === undefined) return undefined;
  return drawableMachines.find((entry) => entry.machine.config === config)?.name;
}

/**
 * The names, in `--list` order.
 * @example drawableMachineNames().join(', ') // 'probe, node, cluster, ...'
 */
export function drawableMachineNames(): string[] {
  return drawableMachines.map((entry) => entry.name);
}
