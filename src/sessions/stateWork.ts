import type { StateTaskName, StateTasks, TaskProblem, TaskResult } from '../core/stateTasks.js';
import { TaskTooLargeError } from '../work/taskRunner.js';
import type { TaskRunner } from '../work/taskRunner.js';
import { IntegrityError, PayloadTooLargeError, UnprocessableError, ValidationError } from '../errors.js';

type Unwrapped<R> = R extends { ok: true; value: infer T } ? T : never;

/**
 * Runs a state task and turns its problem, if any, into the domain error a client gets.
 * `extensions` are added to a 422 (e.g. the session's current version).
 */
export async function runStateTask<N extends StateTaskName>(
  work: TaskRunner,
  name: N,
  input: Parameters<StateTasks[N]>[0],
  size: number,
  extensions: Record<string, unknown> = {},
): Promise<Unwrapped<ReturnType<StateTasks[N]>>> {
  let result: TaskResult<unknown>;
  try {
    result = (await work.run(name, input, size)) as TaskResult<unknown>;
  } catch (error) {
    if (error instanceof TaskTooLargeError) throw new PayloadTooLargeError(error.message);
    throw error;
  }
  if (result.ok) return result.value as Unwrapped<ReturnType<StateTasks[N]>>;
  throw problemError(result.problem, extensions);
}

function problemError(problem: TaskProblem, extensions: Record<string, unknown>): Error {
  switch (problem.status) {
    case 400:
      return new ValidationError(problem.detail);
    case 413:
      return new PayloadTooLargeError(problem.detail, problem.operation === undefined ? {} : { operation: problem.operation });
    case 422:
      return new UnprocessableError(problem.detail, { ...extensions, ...(problem.operation === undefined ? {} : { operation: problem.operation }) });
    default:
      return new IntegrityError(problem.detail);
  }
}
