/**
 * Set up for every test file (vitest.config.ts): the scratch directories a file made are removed
 * when its tests are done, whether they passed or not, so that a run leaves .cache/tmp as it found it.
 */
import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { scratchDirs } from './tools.ts';

afterAll(() => {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
