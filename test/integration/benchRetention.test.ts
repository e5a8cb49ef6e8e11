import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths.js';

const run = promisify(execFile);

// One --quick run of npm run bench:retention, so that it cannot rot; checks counts and bytes,
// never times.
describe('retention benchmark (--quick)', function () {
  this.timeout(300_000);
  const out = mkdtempSync(join(tmpdir(), 'bench-retention-quick-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('compacts every workload to its last 50 versions, reclaiming bytes, and measures export and import', async () => {
    await run(process.execPath, ['--expose-gc', join(projectRoot, 'dist/scripts/bench/retention.js'), '--quick', '--out', out], { maxBuffer: 1 << 24 });
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.compaction).to.have.length(3);
    for (const workload of results.compaction) {
      expect(workload.kept_versions, workload.workload).to.equal(50);
      expect(workload.stored_bytes_after, workload.workload).to.be.below(workload.stored_bytes_before);
    }
    expect(results.exchange.export_versions_per_second).to.be.greaterThan(0);
    expect(results.exchange.import_versions_per_second).to.be.greaterThan(0);
    expect(results.exchange.memory).to.have.length(2);
    for (const memory of results.exchange.memory) expect(memory.export_heap_retained_bytes).to.be.a('number');
    expect(readFileSync(join(out, 'REPORT.md'), 'utf8')).to.include('## Compacting each workload to its last 50 versions');
  });
});
