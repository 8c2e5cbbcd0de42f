import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take longest (each 4 s or more on this project's machine, most of it real tools:
 * Chromium, gcc and pahole, npm pack, large handovers), started first, longest first, so that the
 * two workers finish together. Vitest orders by the durations it cached from earlier runs, which a
 * clean clone (CI) does not have: it then went by file size, and a small slow file started last
 * left one worker idle for its whole length. A name missing here only runs later.
 */
const SLOWEST_FIRST = [
  'docs-html',
  'library-package',
  'ts-codecs',
  'c-header',
  'kernel-mutations',
  'image-props',
  'handover-c',
  'kernel-header',
  'image-stream',
  'check-mutations',
  'generate',
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = SLOWEST_FIRST.indexOf(basename(file.moduleId, '.test.ts'));
      return at < 0 ? SLOWEST_FIRST.length : at;
    };
    // Array.prototype.sort is stable: the rest keep the order vitest gives them.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/scratch-cleanup.ts'],
    // Two cores: one worker per core; interop tests spawn gcc and friends themselves.
    pool: 'forks',
    isolate: false,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    sequence: { sequencer: SlowestFirst },
  },
});
