import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, as the failure will say it: "timed out after 5s waiting for <what>". */
  what: string;
  /** Milliseconds before giving up; 20 s unless told. */
  timeout?: number;
  /** Milliseconds between two looks; 20 unless told. */
  interval?: number;
}

/**
 * Waits until `condition` gives a truthy value and returns that value; fails naming what it
 * waited for once `timeout` has passed. Tests wait for the thing they need (a row written, a
 * process gone, a request taken in) rather than for a length of time that is too short on a busy
 * machine and wasted on an idle one. An error thrown by `condition` fails the wait at once.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, { what, timeout = 20_000, interval = 20 }: WaitOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}`);
    await sleep(interval);
  }
}
