/**
 * Builds the history page into dist/ui: its TypeScript modules compiled by tsc (plain ES modules,
 * loaded by the browser as they are: no bundler, no runtime dependency), and the files of
 * ui/static copied beside them. The folder is made afresh, so a module removed from ui/src is not
 * served any more. Part of `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot, uiDir } from '../src/paths.js';
import { runMain } from './lib/cli.js';

runMain('build-ui', async () => {
  rmSync(uiDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(projectRoot, 'ui', 'tsconfig.json')], { stdio: 'inherit' });
  if (result.status !== 0) return result.status ?? 1;
  cpSync(join(projectRoot, 'ui', 'static'), uiDir, { recursive: true });
  return 0;
});
