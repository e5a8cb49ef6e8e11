import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openapiPath, projectRoot } from '../../src/paths.js';
import { generateContract } from '../../scripts/lib/contract.js';

describe('the files derived from openapi.yaml', () => {
  it('are what `npm run contract` makes of openapi.yaml as it is (run it after changing the spec)', async function () {
    this.timeout(20_000);
    const files = await generateContract(readFileSync(openapiPath, 'utf8'));
    expect(Object.keys(files)).to.deep.equal(['src/contract/openapi.ts', 'src/contract/types.ts']);
    for (const [path, text] of Object.entries(files)) {
      expect(readFileSync(join(projectRoot, path), 'utf8') === text, `${path} is out of date: run npm run contract`).to.equal(true);
    }
  });
});
