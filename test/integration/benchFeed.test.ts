import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths.js';

const run = promisify(execFile);

describe('change feed benchmark (--quick): it runs and reports every figure', function () {
  this.timeout(300_000);
  const out = mkdtempSync(join(tmpdir(), 'bench-feed-quick-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('measures the delay across two processes and the cost of watching many sessions', async () => {
    await run(process.execPath, [join(projectRoot, 'dist/scripts/bench-feed.js'), '--quick', '--out', out], { maxBuffer: 1 << 24 });
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    for (const watcher of ['idle_watcher', 'watcher_of_many']) {
      const figures = results.delay_two_processes[watcher];
      expect(figures.samples, watcher).to.be.greaterThan(0);
      expect(figures.p50_ms, watcher).to.be.a('number').and.to.be.greaterThan(0);
      expect(figures.p99_ms, watcher).to.be.at.least(figures.p50_ms);
    }
    for (const window of ['no_streams_idle', 'watching_idle', 'one_session_idle', 'writing_without_streams', 'writing_while_watching']) {
      expect(results.cost[window].queries_per_second, window).to.be.a('number');
    }
    // Idle, the feed is one head query per poll (FEED_POLL_MS 100: about 10 a second), however
    // many sessions and streams; a loaded machine polls a little less often, never more.
    expect(results.cost.feed_queries_per_second_idle).to.be.within(3, 12);
    expect(results.cost.one_session_idle.queries_per_second).to.be.within(3, 12);
    expect(readFileSync(join(out, 'REPORT.md'), 'utf8')).to.include('## Delay').and.to.include('## Cost');
  });
});
