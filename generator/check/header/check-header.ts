import type { CheckReport } from '../format.ts';
export async function checkHeader(_options: { headerPath: string; against?: string; schemaPath?: string }): Promise<CheckReport> {
  throw new Error('not yet');
}
