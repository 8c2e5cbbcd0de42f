/**
 * The one API through which generated files are made: every emitter returns GeneratedFile values,
 * and only generator/write.ts touches the disk. Where each header goes is decided here too, so the C
 * emitter, its includes and `generate --kernel-tree` agree.
 */
import { basename } from 'node:path';
import type { HeaderModel, Model, VersionModel } from '../model/index.ts';

export interface GeneratedFile {
  /** Relative to the output directory, with forward slashes. */
  readonly path: string;
  readonly content: string;
}

/** An emitter is a function of the model; it may be async. */
export type Emitter = (model: Model) => GeneratedFile[] | Promise<GeneratedFile[]>;

export function file(path: string, content: string): GeneratedFile {
  if (path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`generated file path "${path}" must be relative and inside the output directory`);
  }
  return { path, content };
}

/** How other headers include it: `linux/kho/abi/luo.h` for `include/linux/kho/abi/luo.h`. */
export function includePath(header: Pick<HeaderModel, 'path'>): string {
  return header.path.replace(/^include\//, '');
}

/** The current version's header, in a tree that can be copied over a kernel tree's include/. */
export function currentHeaderFile(header: Pick<HeaderModel, 'path'>): string {
  return `include/${includePath(header)}`;
}

/** One version's header: `luo/luo-v4/luo.h`. */
export function versionHeaderFile(header: Pick<HeaderModel, 'name' | 'path'>, version: Pick<VersionModel, 'name'>): string {
  return `${header.name}/${version.name}/${basename(header.path)}`;
}
