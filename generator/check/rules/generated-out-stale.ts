/** LUO007: the generated files in out/ are not what the schema gives, so the header shipped is not the one checked. */
import { join } from 'node:path';
import { displayPath } from '../../core/paths.ts';
import { reportOf, type Finding, type Rule } from '../finding.ts';

export const generatedOutStale: Rule = {
  id: 'LUO007',
  name: 'generated-out-stale',
  severity: 'error',
  description: 'A file in out/ differs from what the schema gives, is missing, or is no longer generated.',
  check(context) {
    if (!context.stale) return [];
    const { outDir, report } = context.stale;
    const finding = (path: string, state: string): Finding => {
      const file = displayPath(join(outDir, path));
      return reportOf(generatedOutStale, {
        subject: file,
        message: `${file} ${state}.`,
        file,
        fix: 'run `luo-abi generate` (npm run generate) and commit out/',
      });
    };
    return [
      ...report.changed.map((p) => finding(p, 'differs from what the schema gives')),
      ...report.missing.map((p) => finding(p, 'is missing')),
      ...report.extra.map((p) => finding(p, 'is no longer generated')),
    ];
  },
};
