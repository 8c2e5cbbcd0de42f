/**
 * The one API through which generated files are made: every emitter returns GeneratedFile values,
 * and only generator/write.ts touches the disk.
 */
import type { Model } from '../model/index.ts';

export interface GeneratedFile {
  /** Relative to the output directory, with forward slashes. */
  readonly path: string;
  readonly content: string;
}

/** An emitter is a function of the model; it may be async (prettier is). */
export type Emitter = (model: Model) => GeneratedFile[] | Promise<GeneratedFile[]>;

export function file(path: string, content: string): GeneratedFile {
  if (path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`generated file path "${path}" must be relative and inside the output directory`);
  }
  return { path, content };
}
