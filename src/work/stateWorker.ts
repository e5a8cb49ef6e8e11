import { move, transferableSymbol, valueSymbol } from 'piscina';
import { stateTasks, type StateTaskName } from '../core/stateTasks.js';

/**
 * The worker-thread entry of the task runner: runs one named state task on its input. Bytes a
 * task answers with (a diff's patch) are handed to the event loop's thread, not copied.
 */
export default function runStateTask({ name, input }: { name: StateTaskName; input: unknown }): unknown {
  const result = (stateTasks[name] as (input: unknown) => unknown)(input) as { ok: boolean; value?: { patch?: unknown } };
  const bytes = result.ok ? result.value?.patch : undefined;
  // Only a buffer of its own: a small Buffer shares its ArrayBuffer with others (Node's pool).
  if (bytes instanceof Uint8Array && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return move({ [transferableSymbol]: [bytes.buffer], [valueSymbol]: result } as never);
  }
  return result;
}
