/**
 * Writes the files derived from openapi.yaml (scripts/lib/contract.ts says which); run it after
 * changing openapi.yaml. test/unit/contract.test.ts fails while they differ from what it would write.
 *
 *   npm run contract
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openapiPath, projectRoot } from '../src/paths.js';
import { runMain } from './lib/cli.js';
import { generateContract } from './lib/contract.js';

runMain('contract', async () => {
  const files = await generateContract(readFileSync(openapiPath, 'utf8'));
  for (const [path, text] of Object.entries(files)) {
    writeFileSync(join(projectRoot, path), text);
    process.stdout.write(`wrote ${path}\n`);
  }
  return 0;
});
