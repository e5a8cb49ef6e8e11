import { stateTasks, type StateTaskName } from '../core/stateTasks.js';

/** The worker-thread entry of the task runner: runs one named state task on its input. */
export default function runStateTask({ name, input }: { name: StateTaskName; input: unknown }): unknown {
  return (stateTasks[name] as (input: unknown) => unknown)(input);
}
