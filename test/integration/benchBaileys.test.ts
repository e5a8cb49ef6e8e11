import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/paths.js';

const run = promisify(execFile);

describe('benchmark: Baileys auth state (tiny sizes): it runs and reports every figure', function () {
  this.timeout(120_000);

  it('plays the scripted session against both stores and counts writes and bytes', async () => {
    const { stdout } = await run(process.execPath, [join(projectRoot, 'dist/scripts/bench-baileys.js'), '--messages', '6', '--contacts', '2', '--pre-keys', '10', '--json'], { maxBuffer: 1 << 24 });
    interface Counts {
      writes: number;
      deletes: number;
      bytes: number;
    }
    const { results } = JSON.parse(stdout) as { results: Array<{ phases: { total: { files: Counts; store: Counts } }; store_at_rest: { versions: number } }> };
    expect(results).to.have.length(3);
    for (const result of results) {
      const total = result.phases.total;
      // Pairing, 10 pre-keys, 6 messages and 2 replies: every key a file write or delete, far fewer HTTP writes.
      expect(total.files.writes + total.files.deletes).to.be.greaterThan(total.store.writes);
      expect(total.store.writes).to.be.greaterThan(2);
      expect(total.store.bytes).to.be.greaterThan(0);
      expect(result.store_at_rest.versions).to.equal(total.store.writes);
    }
  });
});
