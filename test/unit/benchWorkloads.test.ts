import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { benchWorkloads } from '../../scripts/bench/workloads.js';
import { sharedWorkloadFiles } from '../../scripts/lib/workloads.js';

describe('benchmark workloads: the shared files when there are any, else synthetic stand-ins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-workloads-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('without files: the three synthetic workloads, deterministic, each state a JSON object, cut to the size asked', () => {
    expect(sharedWorkloadFiles(join(dir, 'missing'))).to.deep.equal([]);
    const { source, workloads, chat } = benchWorkloads([], 25);
    expect(source).to.equal('synthetic');
    expect(workloads.map((w) => w.name)).to.deep.equal(['chat-synthetic', 'creds-synthetic', 'table-synthetic']);
    expect(chat.name).to.equal('chat-synthetic');
    for (const workload of workloads) {
      expect(workload.lines, workload.name).to.have.length(25);
      for (const line of workload.lines) expect(JSON.parse(line), workload.name).to.be.an('object');
    }
    expect(benchWorkloads([], 25).workloads).to.deep.equal(workloads);
    expect(benchWorkloads([], undefined).workloads[0]!.lines).to.have.length(300);
  });

  it('with files: each file (gzipped or not) in name order, blank lines skipped, cut to the size asked', () => {
    const states = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify({ tag, i })).join('\n\n');
    writeFileSync(join(dir, 'table-3.ndjson.gz'), gzipSync(states('table', 3)));
    writeFileSync(join(dir, 'chat-4.ndjson'), `${states('chat', 4)}\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not a workload');
    const files = sharedWorkloadFiles(dir);
    expect(files).to.deep.equal([join(dir, 'chat-4.ndjson'), join(dir, 'table-3.ndjson.gz')]);

    const all = benchWorkloads(files, undefined);
    expect(all.source).to.equal('shared');
    expect(all.workloads.map((w) => [w.name, w.lines.length])).to.deep.equal([['chat-4', 4], ['table-3', 3]]);
    expect(all.chat.name).to.equal('chat-4');
    expect(JSON.parse(all.workloads[1]!.lines[2]!)).to.deep.equal({ tag: 'table', i: 2 });

    const cut = benchWorkloads(files, 2);
    expect(cut.workloads.map((w) => w.lines.length)).to.deep.equal([2, 2]);
  });
});
