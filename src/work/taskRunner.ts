import { Piscina } from 'piscina';
import { stateTasks, type StateTasks, type StateTaskName } from '../core/stateTasks.js';

export interface TaskRunnerOptions {
  /** Worker threads for large inputs; 0 runs everything inline (scripts, one-off tools). */
  threads: number;
  /** Inputs smaller than this (in characters of JSON text) run inline on the calling thread. */
  inlineBelow: number;
  /** Heap per worker thread, in MiB: a task that needs more fails alone, the process lives on. */
  workerHeapMb?: number;
  /** Told of a worker thread that failed outside any task (one that could not start). */
  onWorkerError?: (error: unknown) => void;
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
  let closed = false;
  const startPool = (): Piscina => {
    const started = new Piscina({
      filename: new URL('./stateWorker.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: options.threads,
      // Keep a thread warm for a while between large saves rather than starting one each time.
      idleTimeout: 30_000,
      resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb ?? 2048 },
    });
    // A worker that fails outside any task (it could not start: its module half-written while
    // dist/ is rebuilt, no memory or thread to be had) makes piscina emit 'error', which unheard
    // stopped the whole process; and the tasks waiting for that worker waited for good, as piscina
    // starts no replacement for a worker that failed to start. The pool is replaced, and the
    // tasks its destroy() fails run inline (see run).
    started.on('error', (error: unknown) => {
      options.onWorkerError?.(error);
      if (pool === started && !closed) pool = startPool();
      void started.destroy();
    });
    return started;
  };
  let pool = options.threads > 0 ? startPool() : undefined;
  const inline = <N extends StateTaskName>(name: N, input: Parameters<StateTasks[N]>[0]): ReturnType<StateTasks[N]> =>
    (stateTasks[name] as (input: unknown) => ReturnType<StateTasks[N]>)(input);
  return {
    async run(name, input, size) {
      const used = pool;
      if (!used || size < options.inlineBelow) return inline(name, input);
      try {
        return await used.run({ name, input });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw new TaskTooLargeError('the state needs more memory to process than this server allows');
        }
        // Its pool was replaced under it: the task (pure) runs here rather than failing.
        if (used !== pool && !closed) return inline(name, input);
        throw error;
      }
    },
    async close() {
      closed = true;
      await pool?.destroy();
    },
  };
}
