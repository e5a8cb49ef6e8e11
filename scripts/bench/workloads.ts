/** The workloads a run measures: the shared ones when there are any, else synthetic stand-ins. */
import { readWorkload, syntheticWorkloads, type Workload } from '../lib/workloads.js';

export interface BenchWorkloads {
  source: 'shared' | 'synthetic';
  workloads: Workload[];
  /** The chat workload, whose states the save measurement sends. */
  chat: Workload;
}

/** The workloads in `files` (else synthetic ones), each cut to its first `states` states when given. */
export function benchWorkloads(files: string[], states: number | undefined): BenchWorkloads {
  const workloads = (files.length > 0 ? files.map(readWorkload) : syntheticWorkloads(states ?? 300)).map((w) => ({
    ...w,
    lines: states ? w.lines.slice(0, states) : w.lines,
  }));
  const chat = workloads.find((w) => w.name.startsWith('chat')) ?? workloads[0]!;
  return { source: files.length > 0 ? 'shared' : 'synthetic', workloads, chat };
}
