import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths.js';

const run = promisify(execFile);

/** Every leaf of a results object that should be a measured number. */
function numbers(value: unknown, path = ''): Array<[string, unknown]> {
  if (value === null || typeof value !== 'object') return [[path, value]];
  return Object.entries(value).flatMap(([key, child]) => numbers(child, `${path}.${key}`));
}

describe('benchmark (--quick): it runs and reports every figure', function () {
  this.timeout(300_000);
  const out = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  for (const [label, env] of [['with the shared workloads', {}], ['without them (synthetic stand-ins)', { WORKLOADS_DIR: join(out, 'none') }]] as const) {
    it(label, async () => {
      await run(process.execPath, [join(projectRoot, 'dist/scripts/bench/index.js'), '--quick', '--out', out], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      expect(results.storage).to.have.length(3);
      expect(results.saves).to.have.length(4);
      expect(results.loads.by_history).to.have.length(3);
      expect(results.history_pages.by_state_size).to.have.length(2);
      expect(results.diff).to.have.length(3);
      expect(results.targets.length).to.be.greaterThan(8);
      expect(results.pauses.with_workers.during.samples).to.be.greaterThan(0);
      for (const section of ['storage', 'saves', 'loads', 'history_pages', 'diff', 'pauses']) {
        for (const [path, leaf] of numbers(results[section])) {
          if (typeof leaf === 'string') continue; // workload and state labels
          expect(leaf, `${section}${path}`).to.be.a('number');
          expect(Number.isFinite(leaf as number), `${section}${path}`).to.equal(true);
        }
      }
      const report = readFileSync(join(out, 'REPORT.md'), 'utf8');
      for (const heading of ['## Targets', '## 1. Storage', '## 2. Saves', '## 3. Loads', '## 4. History page', '## 5. Diff', '## 6. Another tenant']) expect(report).to.include(heading);
      if ('WORKLOADS_DIR' in env) expect(results.meta.workloads).to.equal('synthetic');
      else if (existsSync(join(projectRoot, '..', 'shared', 'workloads'))) expect(results.meta.workloads).to.equal('shared');
    });
  }
});
