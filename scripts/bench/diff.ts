/** 5. Diff of consecutive workload states, against fast-json-patch's compare(): time and patch bytes. */
import fastJsonPatch from 'fast-json-patch';
import { diff } from '../../src/core/diff.js';
import type { Json } from '../../src/core/json.js';
import type { Workload } from '../lib/workloads.js';
import { round } from './measure.js';

export function diffs(workloads: Workload[]) {
  return workloads.map((workload) => {
    const states = workload.lines.map((line) => JSON.parse(line) as Json);
    let oursMs = 0;
    let compareMs = 0;
    let oursBytes = 0;
    let compareBytes = 0;
    for (let i = 1; i < states.length; i++) {
      let t = performance.now();
      const ours = diff(states[i - 1]!, states[i]!);
      oursMs += performance.now() - t;
      t = performance.now();
      const theirs = fastJsonPatch.compare(states[i - 1] as object, states[i] as object);
      compareMs += performance.now() - t;
      oursBytes += JSON.stringify(ours).length;
      compareBytes += JSON.stringify(theirs).length;
    }
    return {
      workload: workload.name,
      pairs: states.length - 1,
      ours_ms: round(oursMs, 1),
      compare_ms: round(compareMs, 1),
      ours_patch_bytes: oursBytes,
      compare_patch_bytes: compareBytes,
      ratio_patch_bytes_compare_to_ours: round(compareBytes / oursBytes, 2),
      ratio_time_ours_to_compare: round(oursMs / compareMs, 2),
    };
  });
}

/**
 * Long lists, the diff's hardest inputs: an unrelated list of the same length (the alignment
 * search gives up after its bounded steps), and one row inserted near the front plus one edited
 * near the end (the whole middle must be aligned). Timed against compare() in the same run.
 */
export function longListDiffs(rows: number) {
  const table = (seed: number): Json[] =>
    Array.from({ length: rows }, (_, i) => ({ id: `${seed}-${i}`, name: `row ${i} of ${seed}`, qty: (i * seed) % 97, tags: ['a', 'b'] }));
  const before = table(1);
  const edited = before.map((row) => ({ ...(row as object) })) as Json[];
  edited.splice(10, 0, { id: 'inserted', name: 'a new row', qty: 0, tags: [] });
  edited[rows - 5] = { ...(edited[rows - 5] as object), qty: -1 };
  return ([
    ['unrelated', table(2)],
    ['one insert and one edit', edited],
  ] as const).map(([change, after]) => {
    // Best of three: one figure per case, not one cold run.
    let oursMs = Number.POSITIVE_INFINITY;
    let compareMs = Number.POSITIVE_INFINITY;
    let ours: unknown[] = [];
    let theirs: unknown[] = [];
    for (let run = 0; run < 3; run++) {
      let t = performance.now();
      ours = diff({ rows: before }, { rows: after as Json[] });
      oursMs = Math.min(oursMs, performance.now() - t);
      t = performance.now();
      theirs = fastJsonPatch.compare({ rows: before }, { rows: after });
      compareMs = Math.min(compareMs, performance.now() - t);
    }
    return {
      rows,
      change,
      ours_ms: round(oursMs, 1),
      compare_ms: round(compareMs, 1),
      ours_patch_bytes: JSON.stringify(ours).length,
      compare_patch_bytes: JSON.stringify(theirs).length,
    };
  });
}
