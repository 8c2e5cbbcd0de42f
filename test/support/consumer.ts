/**
 * A package as a user gets it: packed by npm, installed from the tarball into a project of its own,
 * with a TypeScript consumer there that tsc compiles to dist/ under NodeNext (the package's
 * declarations checked too: no skipLibCheck).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './tools.ts';

export interface ConsumerProject {
  /** The consumer's project: package.json, tsconfig.json, consumer.ts, node_modules. */
  readonly project: string;
  readonly tarball: string;
}

export interface ConsumerOptions {
  /** tsconfig's `types` and `typeRoots`: none by default (a package that needs no Node types). */
  readonly types?: { readonly names: readonly string[]; readonly roots: readonly string[] };
  /** How npm may fetch the package's dependencies: `--offline` for one that has none. */
  readonly install: '--offline' | '--prefer-offline';
}

/** Packs `packageDir` into `dir` and installs the tarball into `dir/consumer`, beside `consumer.ts` holding `consumer`. */
export function consumerProject(dir: string, packageDir: string, consumer: string, options: ConsumerOptions): ConsumerProject {
  const project = join(dir, 'consumer');
  mkdirSync(project);
  const tarball = join(dir, runOk('npm', ['pack', packageDir, '--silent', '--pack-destination', dir], { cwd: dir }).stdout.trim().split('\n').at(-1)!);
  const types = options.types ? { types: options.types.names, typeRoots: options.types.roots } : { types: [] };
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, outDir: 'dist', ...types }, files: ['consumer.ts'] }));
  writeFileSync(join(project, 'consumer.ts'), consumer);
  runOk('npm', ['install', tarball, options.install, '--no-audit', '--no-fund'], { cwd: project });
  return { project, tarball };
}
