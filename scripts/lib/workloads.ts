import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadConfig } from '../../src/config.js';

/** The shared workloads (WORKLOADS_DIR): gzipped NDJSON, one full state per line, in save order. */
export const SHARED_WORKLOADS_DIR = loadConfig().workloadsDir;

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

/**
 * Stand-ins shaped like the shared workloads (a growing chat, a bot's credential files, a table
 * edited anywhere), for machines without ../shared/workloads. Deterministic.
 */
export function syntheticWorkloads(count: number): Workload[] {
  const chat: string[] = [];
  const messages: unknown[] = [];
  const creds: string[] = [];
  const files: Record<string, unknown> = { 'creds.json': { registrationId: 1234, me: { id: '5511999999999@s.whatsapp.net' } } };
  const table: string[] = [];
  const rows = Array.from({ length: 400 }, (_, i) => ({ id: `r${i}`, name: `row ${i}`, qty: i % 97, tags: ['a', 'b'], note: `note for row ${i}` }));
  for (let i = 0; i < count; i++) {
    messages.push({ role: i % 2 ? 'assistant' : 'user', text: `message ${i} `.repeat(20), at: 1_700_000_000 + i });
    chat.push(JSON.stringify({ session_id: 'chat-1', user: { id: 'u1', locale: 'pt-BR' }, messages }));
    files[`pre-key-${i}.json`] = { private: Buffer.alloc(32, i).toString('base64'), public: Buffer.alloc(32, i + 1).toString('base64') };
    files['creds.json'] = { ...(files['creds.json'] as object), nextPreKeyId: i };
    creds.push(JSON.stringify(files));
    const at = (i * 37) % rows.length;
    if (i % 3 === 0) rows.splice(at, 0, { id: `n${i}`, name: `new ${i}`, qty: 0, tags: [], note: '' });
    else if (i % 3 === 1) rows.splice(at, 1);
    else rows[at] = { ...rows[at]!, qty: i };
    table.push(JSON.stringify({ table: rows, selected: [rows[at]?.id] }));
  }
  return [
    { name: 'chat-synthetic', lines: chat },
    { name: 'creds-synthetic', lines: creds },
    { name: 'table-synthetic', lines: table },
  ];
}
