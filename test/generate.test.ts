import { describe, expect, it } from 'vitest';
import { buildModel } from '../generator/model/index.ts';
import { generateFiles } from '../generator/generate.ts';
import { luoSchema } from '../schema/index.ts';
import { luoAbi } from './support/tools.ts';

describe('generate', () => {
  it('gives byte-identical files twice in a row', async () => {
    const first = await generateFiles(buildModel(luoSchema));
    const second = await generateFiles(buildModel(luoSchema));
    expect(second).toEqual(first);
  });

  it('--check passes on the committed out/', () => {
    const result = luoAbi(['generate', '--check']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
