import { databaseUnavailable } from '../db/errors.js';
import type { Logger } from '../log.js';

export interface PeriodicTask {
  /** Runs from now on: first at a random moment within one interval, then every interval. */
  start(): void;
  /** No further run; a run under way is asked to stop (its signal) and this resolves once it has. */
  stop(): Promise<void>;
}

/**
 * Background work each server process runs on a timer (the retention and idempotency sweepers):
 * never two runs at once, the next one an interval after the last ended, the first at a random
 * moment within one interval so that processes started together do not run together, and a timer
 * that never keeps the process alive. A run that fails is logged and the next one tries again: a
 * database that is unavailable as a warning, anything else as an error (`could not <what>`).
 * `intervalMs` of 0 or less: `start` does nothing.
 */
export function createPeriodicTask(options: { intervalMs: number; what: string; logger: Logger; run: (signal: AbortSignal) => Promise<void> }): PeriodicTask {
  const { intervalMs, what, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopping: AbortController | undefined;

  function schedule(controller: AbortController, delayMs: number): void {
    timer = setTimeout(() => {
      timer = undefined;
      running = options
        .run(controller.signal)
        .catch((error: unknown) => {
          const unavailable = databaseUnavailable(error);
          if (unavailable) logger.warn(`could not ${what}: the database is unavailable; trying again at the next sweep`, { detail: unavailable.detail });
          else logger.error(`could not ${what}`, { error });
        })
        .finally(() => {
          running = undefined;
          if (!controller.signal.aborted) schedule(controller, intervalMs);
        });
    }, delayMs);
    timer.unref();
  }

  return {
    start() {
      if (stopping || intervalMs <= 0) return;
      stopping = new AbortController();
      schedule(stopping, Math.floor(Math.random() * intervalMs));
    },
    async stop() {
      stopping?.abort();
      stopping = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
