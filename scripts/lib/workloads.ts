import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { projectRoot } from '../../src/paths.js';

/** The shared workloads: gzipped NDJSON, one full state per line, in save order. */
export const SHARED_WORKLOADS_DIR = resolve(projectRoot, '..', 'shared', 'workloads');

export interface Workload {
  name: string;
  /** Each state's JSON text as in the file. */
  lines: string[];
}

export function readWorkload(path: string): Workload {
  const raw = readFileSync(path);
  const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return { name: basename(path).replace(/\.ndjson(\.gz)?$/, ''), lines };
}

export function sharedWorkloadFiles(dir = SHARED_WORKLOADS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.ndjson(\.gz)?$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}
