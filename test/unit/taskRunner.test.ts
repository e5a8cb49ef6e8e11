import { expect } from 'chai';
import { createTaskRunner, TaskTooLargeError, type TaskRunner } from '../../src/work/taskRunner.js';

const limits = { maxBytes: 1 << 30, maxDepth: 64 };

/** A state whose parsing and hashing need far more than 16 MiB of heap: 200,000 small objects. */
const heavy = `[${Array.from({ length: 200_000 }, (_, i) => `{"k${i % 10}":${i}}`).join(',')}]`;

/**
 * Whether a task settled while only microtasks ran. Work done inline settles at once; work sent
 * to a worker thread can only come back as a message, which needs the event loop to turn.
 */
async function settlesAtOnce(task: Promise<unknown>): Promise<boolean> {
  let settled = false;
  task.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return settled;
}

describe('task runner (work/taskRunner.ts): small inputs inline, large ones on a worker thread', function () {
  this.timeout(60_000);
  const runners: TaskRunner[] = [];
  const runner = (options: Parameters<typeof createTaskRunner>[0]): TaskRunner => {
    const created = createTaskRunner(options);
    runners.push(created);
    return created;
  };
  after(async () => {
    for (const created of runners) await created.close();
  });

  it('runs an input smaller than the threshold inline, and a larger one on a worker whose heap limit it has', async () => {
    const work = runner({ threads: 1, inlineBelow: 1000, workerHeapMb: 16 });
    const small = '{"a":[1,2,3]}';
    expect(await settlesAtOnce(work.run('ingestState', { text: small, limits }, 999))).to.equal(true);
    expect(await settlesAtOnce(work.run('ingestState', { text: small, limits }, 1000))).to.equal(false);

    // The same heavy input: inline it succeeds; on the worker it exceeds the worker's 16 MiB heap.
    const inline = await work.run('ingestState', { text: heavy, limits }, 0);
    expect(inline.ok).to.equal(true);
    let failure: unknown;
    await work.run('ingestState', { text: heavy, limits }, heavy.length).catch((error: unknown) => (failure = error));
    expect(failure).to.be.instanceOf(TaskTooLargeError);
    // That task failed alone: the next one on a worker runs.
    expect(await work.run('ingestState', { text: small, limits }, 5000)).to.deep.equal(await work.run('ingestState', { text: small, limits }, 0));
  });

  it('gives the same answer on a worker as inline, a problem included, intact', async () => {
    const work = runner({ threads: 1, inlineBelow: 1000 });
    const both = async <T>(run: (size: number) => Promise<T>): Promise<T> => {
      const [inline, worker] = [await run(0), await run(1000)];
      expect(worker).to.deep.equal(inline);
      return worker;
    };
    const ingested = await both((size) => work.run('ingestState', { text: '{"b":1,"a":[true,null,"é"]}', limits }, size));
    expect(ingested.ok).to.equal(true);
    const notJson = await both((size) => work.run('ingestState', { text: '{"a":', limits }, size));
    expect(notJson).to.deep.include({ ok: false });
    expect((notJson as { problem: { status: number; detail: string } }).problem.status).to.equal(400);
    expect((notJson as { problem: { detail: string } }).problem.detail).to.match(/not valid JSON/);

    const head = { text: '{"a":1}', hash: '', bytes: 7 };
    const patchText = '[{"op":"test","path":"/a","value":1},{"op":"remove","path":"/missing"}]';
    const conflict = await both((size) => work.run('planWrite', { head, next: { patchText }, limits, fullStateRatio: 0.5 }, size));
    expect(conflict).to.deep.equal({ ok: false, problem: { status: 422, detail: (conflict as { problem: { detail: string } }).problem.detail, operation: 1 } });
  });

  it('lives through a worker thread that cannot start, and still answers the task', async () => {
    // 4 MiB is too little heap for a worker even to load its module: it fails before it takes a
    // task, which piscina reports as an 'error' on the pool. Unheard, that stopped the process
    // (every tenant's requests with it), and the task waited for a worker that never came.
    const failures: unknown[] = [];
    const work = runner({ threads: 1, inlineBelow: 0, workerHeapMb: 4, onWorkerError: (error) => failures.push(error) });
    const small = '{"a":[1,2,3]}';
    for (let i = 0; i < 2; i++) {
      expect(await work.run('ingestState', { text: small, limits }, 1000)).to.deep.include({ ok: true });
    }
    expect(failures.length).to.be.greaterThan(0);
    expect((failures[0] as { code?: string }).code).to.equal('ERR_WORKER_OUT_OF_MEMORY');
  });

  it('runs everything inline with 0 threads, however large the input', async () => {
    const work = runner({ threads: 0, inlineBelow: 0, workerHeapMb: 16 });
    expect(await settlesAtOnce(work.run('ingestState', { text: '{"a":1}', limits }, Number.MAX_SAFE_INTEGER))).to.equal(true);
    expect((await work.run('ingestState', { text: heavy, limits }, heavy.length)).ok, 'no worker heap limit applies').to.equal(true);
  });
});
