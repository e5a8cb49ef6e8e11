import { Piscina } from 'piscina';
import { stateTasks, type StateTasks, type StateTaskName } from '../core/stateTasks.js';

export interface TaskRunnerOptions {
  /** Worker threads for large inputs; 0 runs everything inline (scripts, one-off tools). */
  threads: number;
  /** Inputs smaller than this (in characters of JSON text) run inline on the calling thread. */
  inlineBelow: number;
  /** Heap per worker thread, in MiB: a task that needs more fails alone, the process lives on. */
  workerHeapMb?: number;
}

export interface TaskRunner {
  /** Runs a state task; `size` is the length of the JSON text it works on. */
  run<N extends StateTaskName>(name: N, input: Parameters<StateTasks[N]>[0], size: number): Promise<ReturnType<StateTasks[N]>>;
  close(): Promise<void>;
}

/** Thrown when a worker thread ran out of heap on a task: the input was too large to handle. */
export class TaskTooLargeError extends Error {}

/**
 * Runs the CPU-heavy state tasks (parse, patch, diff, hash, replay) off the event loop once their
 * input is large, so one tenant's multi-megabyte state never pauses every other tenant's
 * requests. Small inputs run inline: a thread hop costs more than the work itself.
 */
export function createTaskRunner(options: TaskRunnerOptions): TaskRunner {
  const pool =
    options.threads > 0
      ? new Piscina({
          filename: new URL('./stateWorker.js', import.meta.url).href,
          minThreads: 0,
          maxThreads: options.threads,
          // Keep a thread warm for a while between large saves rather than starting one each time.
          idleTimeout: 30_000,
          resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb ?? 2048 },
        })
      : undefined;
  return {
    async run(name, input, size) {
      if (!pool || size < options.inlineBelow) {
        return (stateTasks[name] as (input: unknown) => ReturnType<StateTasks[typeof name]>)(input);
      }
      try {
        return await pool.run({ name, input });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw new TaskTooLargeError('the state needs more memory to process than this server allows');
        }
        throw error;
      }
    },
    async close() {
      await pool?.destroy();
    },
  };
}
