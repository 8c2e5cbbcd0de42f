/**
 * What a kernel hands over and accepts, read from one of three places:
 *
 * - a kernel image (ELF): its `.liveupdate_features` section, one entry per subsystem with the masks
 *   it supports, requires and sets active; with DWARF, the layouts of the structs (read by pahole);
 * - a kernel source tree: each header the schema describes, compiled as the kernel would (the check
 *   --header machinery), giving the feature masks or the guard strings, and the layouts;
 * - a git revision of a kernel tree: that tree extracted at the revision, read as a tree.
 *
 * The subsystems are keyed by the name both kernels know them by: an entry's name in the section,
 * the feature subsystem of a header, or the header's name when it negotiates nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { InputError, systemReason } from '../core/errors.ts';
import { displayPath } from '../core/paths.ts';
import { readElf, hex } from '../elf/read.ts';
import { FEATURE_SECTION, readFeatureSection } from '../features/section.ts';
import { schemaStandIns } from '../check/header/check-header.ts';
import { allVersions } from '../model/index.ts';
import { HeaderStrings } from '../check/header/c-view.ts';
import { parsePahole, readHeader } from '../check/header/extract.ts';
import { DEFAULT_ARCH } from '../check/header/tree.ts';
import type { PageShift } from '../check/header/prelude.ts';
import { extractAtRevision, repositoryOf } from '../check/git.ts';
import type { CanonicalStruct } from '../model/canonical.ts';
import { featureVersionsOf, handedOverHeaders, headerOfKey, outerGuards, payloadStructs, subsystemKey, type PreflightSchema } from './schema.ts';

export interface FeatureSupport {
  /** How many bytes of each mask count. */
  readonly featBytes: number;
  readonly supported: bigint;
  readonly required: bigint;
  readonly active: bigint;
}

export interface SubsystemProfile {
  /** The name both kernels know it by. */
  readonly key: string;
  /** The schema header that describes it, and the version it is exactly, when known. */
  readonly header?: string;
  readonly version?: string;
  readonly features?: FeatureSupport;
  /** The guard string its state travels under, when a string guards it. */
  readonly string?: { readonly macro: string; readonly value: string };
  /** The layouts of its structs as this kernel builds them (DWARF, or the tree's headers). */
  readonly layouts?: readonly CanonicalStruct[];
  /** Where it was read: `.liveupdate_features entry 0 at 0x2008`, `include/linux/kho/abi/luo.h`. */
  readonly from: string;
  /** In a handover: a client's or handler's state the schema does not describe (its masks or string cannot be read). */
  readonly opaque?: 'client' | 'handler';
  /** In a handover: how many payloads of it there are (files of one handler), when more than one. */
  readonly payloads?: number;
  /** In a handover: KHO's own root, which no image lists. */
  readonly root?: boolean;
}

/** Where a kernel's profile was read: a kernel image, a source tree, a git revision of one, or a handover it wrote. */
export type KernelKind = 'image' | 'tree' | 'revision' | 'state';

export interface KernelProfile {
  /** As the user named it. */
  readonly name: string;
  readonly kind: KernelKind;
  readonly subsystems: readonly SubsystemProfile[];
  /** An image lists only what negotiates features: it cannot say which strings the kernel expects. */
  readonly tellsStrings: boolean;
  /** What a reader should know about how it was read. */
  readonly notes: readonly string[];
}

export interface ProfileOptions {
  /** The repository a revision is of (default: the current directory). */
  readonly repo?: string;
  readonly arch?: string;
  readonly pageShift?: PageShift;
}

/** A kernel named on the command line: an image file, a tree directory, or a revision of the repository. */
export function kernelProfile(spec: string, schema: PreflightSchema, options: ProfileOptions = {}): KernelProfile {
  if (existsSync(spec)) {
    return statSync(spec).isDirectory() ? treeProfile(spec, schema, options) : imageProfile(spec, schema);
  }
  const repo = options.repo ?? '.';
  const found = spawnSync('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', `${spec}^{commit}`], { cwd: repo });
  if (found.error || found.status !== 0) {
    throw new InputError(
      `"${spec}" is neither a kernel image, a kernel tree nor a revision of the repository at ${displayPath(resolve(repo))}; give a file, a directory, or a git revision (with --repo for another repository)`,
    );
  }
  return revisionProfile(repo, spec, schema, options);
}

// -----------------------------------------------------------------------------------------------
// Kernel images

export function imageProfile(path: string, schema: PreflightSchema): KernelProfile {
  const shown = displayPath(path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputError(`cannot read ${shown}: ${systemReason(error)}`);
  }
  const elf = readElf(bytes, shown);
  if (!schema.section) throw new InputError(`the schema describes no ${FEATURE_SECTION} section, so it cannot read kernel images; give a kernel tree instead`);
  const section = readFeatureSection(elf, schema.section);
  if (!section) {
    throw new InputError(`${shown} has no ${FEATURE_SECTION} section: it predates feature negotiation or was built without live update; give its kernel tree, or a git revision of it, instead`);
  }
  const notes: string[] = [];
  const hasDwarf = elf.sections.some((s) => s.name === '.debug_info');
  const wanted = new Set(section.entries.flatMap((e) => featureVersionsOf(schema, e.name).flatMap((f) => f.structs)));
  let layouts: CanonicalStruct[] | undefined;
  if (hasDwarf && wanted.size > 0) {
    layouts = paholeStructs(path, [...wanted].sort(), notes);
  } else if (!hasDwarf) {
    notes.push(`${shown} has no DWARF: layouts come from the schema versions its masks match`);
  }
  return {
    name: shown,
    kind: 'image',
    tellsStrings: false,
    notes,
    subsystems: section.entries.map((e) => {
      const features = { featBytes: e.featBytes, supported: e.supported, required: e.required, active: e.active };
      const match = matchingFeatureVersion(schema, e.name, features);
      const own = new Set(featureVersionsOf(schema, e.name).flatMap((f) => f.structs));
      const mine = layouts?.filter((s) => own.has(s.name));
      return {
        key: e.name,
        ...(headerOfKey(schema, e.name) ? { header: headerOfKey(schema, e.name)!.name } : {}),
        ...(match ? { version: match } : {}),
        features,
        ...(mine && mine.length > 0 ? { layouts: mine } : {}),
        from: `${FEATURE_SECTION} entry ${e.index} at ${hex(e.offset)}`,
      };
    }),
  };
}

/** The layouts of the named structs in the file's DWARF, as pahole reads them. */
function paholeStructs(path: string, names: readonly string[], notes: string[]): CanonicalStruct[] | undefined {
  const pahole = (args: string[]) => {
    const result = spawnSync('pahole', [...args, path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (result.error || result.status !== 0 || result.stderr.trim() !== '') {
      notes.push(`pahole could not read the DWARF of ${displayPath(path)} (${result.error?.message ?? result.stderr.trim()}): layouts come from the schema`);
      return undefined;
    }
    return result.stdout;
  };
  // pahole -C stops at the first name the DWARF lacks: ask only for those --sizes lists.
  const sizes = pahole(['--sizes']);
  if (sizes === undefined) return undefined;
  const present = new Set(sizes.split('\n').map((line) => line.split('\t')[0]));
  const wanted = names.filter((n) => present.has(n));
  if (wanted.length === 0) return [];
  const listing = pahole(['-C', wanted.join(',')]);
  return listing === undefined ? undefined : parsePahole(listing);
}

/** The newest feature version of the subsystem whose masks are exactly these. */
function matchingFeatureVersion(schema: PreflightSchema, key: string, f: FeatureSupport): string | undefined {
  return featureVersionsOf(schema, key)
    .reverse()
    .find((v) => v.supported === f.supported && v.required === f.required && v.active === f.active)?.version;
}

// -----------------------------------------------------------------------------------------------
// Kernel trees

export function treeProfile(root: string, schema: PreflightSchema, options: ProfileOptions = {}, name = displayPath(root), kind: KernelKind = 'tree'): KernelProfile {
  if (!existsSync(join(root, 'include'))) throw new InputError(`${name} is not a kernel tree: it has no include/ directory`);
  const notes: string[] = [];
  const subsystems: SubsystemProfile[] = [];
  const standIns = schemaStandIns(allVersions(schema.model));
  for (const header of handedOverHeaders(schema)) {
    const file = join(root, header.path);
    if (!existsSync(file)) continue;
    const layout = readHeader(file, { ...(options.arch ? { arch: options.arch } : {}), ...(options.pageShift ? { pageShift: options.pageShift } : {}), standIns });
    const strings = new HeaderStrings(layout);
    const key = subsystemKey(schema, header.name);
    const number = (macro: string): bigint | undefined => {
      if (!layout.definitions.has(macro)) return undefined;
      const value = strings.evaluate(macro);
      return typeof value === 'bigint' ? value : undefined;
    };
    let features: FeatureSupport | undefined;
    for (const f of featureVersionsOf(schema, key).filter((v) => v.header === header.name).reverse()) {
      const [supported, required, active] = [f.macros.supported, f.macros.required, f.macros.active].map(number);
      if (supported === undefined || required === undefined || active === undefined) continue;
      features = { featBytes: 8, supported, required, active };
      break;
    }
    const guard = outerGuards(header).find((g) => layout.definitions.has(g.macro) && strings.value(g.macro) !== undefined);
    const string = guard ? { macro: guard.macro, value: strings.value(guard.macro)! } : undefined;
    if (!features && !string) {
      notes.push(`${header.path} defines neither the feature masks nor a guard string the schema knows for ${header.name}.h: left out`);
      continue;
    }
    const version = features ? matchingFeatureVersion(schema, key, features) : outerGuards(header).find((g) => g.macro === string!.macro && g.value === string!.value)?.version;
    const own = new Set(header.versions.flatMap((v) => payloadStructs(schema, v).map((s) => s.name)));
    const layouts = layout.structs.filter((s) => own.has(s.name));
    subsystems.push({
      key,
      header: header.name,
      ...(version ? { version } : {}),
      ...(features ? { features } : {}),
      ...(string ? { string } : {}),
      ...(layouts.length > 0 ? { layouts } : {}),
      from: header.path,
    });
  }
  return { name, kind, tellsStrings: true, notes, subsystems };
}

/** A kernel tree at a git revision: its include/ and arch/<arch>/include extracted and read as a tree. */
export function revisionProfile(repo: string, ref: string, schema: PreflightSchema, options: ProfileOptions = {}): KernelProfile {
  const { top } = repositoryOf(join(repo, 'include'));
  const inside = relative(top, resolve(repo)).split('\\').join('/');
  const scratch = mkdtempSync(join(tmpdir(), 'luo-abi-preflight-'));
  try {
    const prefix = inside === '' ? '' : `${inside}/`;
    const arch = options.arch ?? DEFAULT_ARCH;
    const extracted = extractAtRevision(top, ref, [`${prefix}include`, `${prefix}arch/${arch}/include`], scratch);
    const name = `${displayPath(resolve(repo))} at ${ref}`;
    if (extracted.length === 0) throw new InputError(`${name} has no include/ directory: not a kernel tree at that revision`);
    return treeProfile(join(scratch, inside), schema, options, name, 'revision');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
