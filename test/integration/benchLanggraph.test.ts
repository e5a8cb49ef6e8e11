import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths.js';
import { PYTHON_ENV_TIMEOUT } from '../helpers/pythonEnv.js';

const run = promisify(execFile);

describe('LangGraph checkpointers benchmark (--quick): it runs both savers and reports every figure', function () {
  this.timeout(PYTHON_ENV_TIMEOUT);
  const out = mkdtempSync(join(tmpdir(), 'bench-langgraph-quick-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('chats through SessionStoreSaver and PyMySQLSaver on one MariaDB and measures bytes, turns and loads', async () => {
    await run(process.execPath, [join(projectRoot, 'dist/scripts/bench-langgraph.js'), '--quick', '--out', out], { maxBuffer: 1 << 24 });
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    for (const saver of ['store', 'mysql']) {
      const figures = results[saver];
      expect(figures.turns, saver).to.equal(5);
      // Per turn: the input, the step that starts the graph and the answer.
      expect(figures.checkpoints, saver).to.equal(15);
      expect(figures.messages, saver).to.equal(10);
      for (const timing of ['turn', 'latest_load', 'turn10_load']) {
        expect(figures[timing].p50_ms, `${saver} ${timing}`).to.be.a('number').and.to.be.greaterThan(0);
      }
      expect(figures.storage.innodb_bytes, saver).to.be.greaterThan(0);
      expect(figures.storage.row_bytes, saver).to.be.greaterThan(0);
    }
    // The store's rows: one version per checkpoint and per step's writes; no idempotency records.
    expect(results.store.storage.tables.events.rows).to.be.within(15, 30);
    expect(results.store.storage.tables.idempotency_keys.rows).to.equal(0);
    expect(results.mysql.storage.tables.checkpoints.rows).to.equal(15);
    expect(results.summary.row_bytes_ratio_mysql_to_store).to.be.a('number');
    expect(readFileSync(join(out, 'REPORT.md'), 'utf8')).to.include('PyMySQLSaver').and.to.include('latest checkpoint load');
  });
});
