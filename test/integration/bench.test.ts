import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths.js';
import type { Results } from '../../scripts/bench/report.js';

const run = promisify(execFile);

/** Every leaf of a results object that should be a measured number. */
function numbers(value: unknown, path = ''): Array<[string, unknown]> {
  if (value === null || typeof value !== 'object') return [[path, value]];
  return Object.entries(value).flatMap(([key, child]) => numbers(child, `${path}.${key}`));
}

// One --quick run (tiny sizes), then checks a regression would break yet a noisy shared machine
// cannot: counts and byte sizes, never times. (Not the pauses of section 6: on a loaded 2-core
// machine even their ratio to WORKER_THREADS=0 in the same run swings on both sides of 1;
// hostile.test.ts holds the shape of those waits on a larger state.)
describe('benchmark (--quick)', function () {
  this.timeout(300_000);
  const out = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  let results: Results;
  let report: string;

  before(async () => {
    await run(process.execPath, [join(projectRoot, 'dist/scripts/bench/index.js'), '--quick', '--out', out], { maxBuffer: 1 << 24 });
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    report = readFileSync(join(out, 'REPORT.md'), 'utf8');
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('runs every part and reports every figure', () => {
    expect(results.storage).to.have.length(3);
    expect(results.saves).to.have.length(4);
    expect(results.loads.by_history).to.have.length(3);
    expect(results.history_pages.by_state_size).to.have.length(2);
    expect(results.diff).to.have.length(3);
    expect(results.targets.length).to.be.greaterThan(8);
    // Issue 12: every target against the bare upsert service is reported, whatever it measured.
    expect(results.targets.filter((t) => t.target.startsWith('issue 12:'))).to.have.length(7);
    for (const s of results.saves) expect(s.peer_upserts_per_second, s.state).to.be.greaterThan(0);
    expect(results.pauses.with_workers.during.samples).to.be.greaterThan(0);
    for (const section of ['storage', 'saves', 'loads', 'history_pages', 'diff', 'pauses', 'peer_loads'] as const) {
      for (const [path, leaf] of numbers(results[section])) {
        if (typeof leaf === 'string') continue; // workload and state labels
        expect(leaf, `${section}${path}`).to.be.a('number');
        expect(Number.isFinite(leaf as number), `${section}${path}`).to.equal(true);
      }
    }
    for (const heading of ['## Targets', '## 1. Storage', '## 2. Saves', '## 3. Loads', '## 4. History page', '## 5. Diff', '## 6. Another tenant', '## 7. Loads over HTTP vs the bare upsert service']) expect(report).to.include(heading);
    if (existsSync(join(projectRoot, '..', 'shared', 'workloads'))) expect(results.meta.workloads).to.equal('shared');
  });

  it('a load replays at most CHECKPOINT_EVERY patches, from the nearest checkpoint, however long the history', () => {
    expect(results.loads.checkpoint_every).to.be.greaterThan(0);
    for (const { history_versions: versions, replay } of results.loads.by_history) {
      // From the database: every version of the session is that close to a checkpoint below it.
      expect(replay.most_events_since_checkpoint, `history of ${versions}`).to.be.at.most(results.loads.checkpoint_every);
      // On the load path: the loads counted replayed exactly the patches since their nearest checkpoint.
      expect(replay.versions_loaded, `history of ${versions}`).to.be.at.least(10);
      expect(replay.most_patches_replayed, `history of ${versions}`).to.be.at.most(results.loads.checkpoint_every);
      expect(replay.patches_replayed_beyond_nearest_checkpoint, `history of ${versions}`).to.equal(0);
    }
  });

  it('stores each workload several times smaller than the sum of its full states', () => {
    for (const s of results.storage) {
      const stored = s.stored_events_bytes + s.stored_checkpoints_bytes;
      expect(stored * 5, `${s.workload}: ${stored} B stored for ${s.full_states_bytes} B of states`).to.be.lessThan(s.full_states_bytes);
    }
  });

  it('diffs into patches no larger than fast-json-patch compare(), several times smaller where rows move', () => {
    for (const d of results.diff) expect(d.ours_patch_bytes, d.workload).to.be.at.most(d.compare_patch_bytes);
    const table = results.diff.find((d) => d.workload.startsWith('table'))!;
    expect(table.ours_patch_bytes * 5, `${table.workload}: ${table.ours_patch_bytes} B, compare() ${table.compare_patch_bytes} B`).to.be.lessThan(table.compare_patch_bytes);
  });
});
