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
