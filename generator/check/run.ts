/**
 * The checks as functions: the schema against the lock file or another revision, the same for
 * `luo-abi lock`, and any list of versions against a baseline (what the history tests replay).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AbiSchema } from '../../schema/lang.ts';
import { InputError } from '../core/errors.ts';
import { DEFAULT_LOCK, DEFAULT_OUT, DEFAULT_SCHEMA, displayPath, PROJECT_ROOT } from '../core/paths.ts';
import { importModule, isSchema, loadSchema, modelOf } from '../core/schema.ts';
import { allVersions, buildModel, SchemaError, type Model, type SchemaIssue, type VersionModel } from '../model/index.ts';
import { inputsDigest, recordedFresh } from '../freshness.ts';
import { compareWithDisk, type StaleReport } from '../write.ts';
import { canonicalVersion } from '../model/canonical.ts';
import { CheckContext, type CheckInputs } from './context.ts';
import type { Finding } from './finding.ts';
import type { CheckReport } from './format.ts';
import { withDirectoryAtRevision } from './git.ts';
import { lockedFeatures, lockFromVersions, mergeIntoLock, readLock, writeLock, type LockEntry, type LockFeatureEntry, type LockFile } from './lock.ts';
import { rules } from './rules/index.ts';
import { featureVersions } from '../model/index.ts';


export function runRules(inputs: CheckInputs): Finding[] {
  const context = new CheckContext(inputs);
  const acknowledged = new Map(inputs.versions.flatMap((v) => v.acknowledges.map((a) => [`${v.name}\0${a.rule}`, a.reason] as const)));
  const findings = rules.flatMap((rule) => rule.check(context));
  const released = inputs.released && acknowledged.size > 0 ? releasedChanges(inputs, inputs.released) : undefined;
  return findings.map((finding) => {
    const reason = acknowledged.get(`${finding.version}\0${finding.rule}`);
    if (reason === undefined || finding.inPlace || (released && !released.has(changeKey(finding)))) return finding;
    return { ...finding, severity: 'note' as const, acknowledged: reason };
  });
}

/** The changes the schema's own forms of the versions give against the same baseline: what upstream released. */
function releasedChanges(inputs: CheckInputs, released: NonNullable<CheckInputs['released']>): Set<string> {
  const context = new CheckContext({ versions: inputs.versions, canonical: released, baseline: inputs.baseline, baselineName: inputs.baselineName, requireLocked: false, root: inputs.root });
  return new Set(rules.flatMap((rule) => rule.check(context)).map(changeKey));
}

const changeKey = (f: Finding): string => [f.rule, f.version, f.subject, f.old, f.new].join('\0');

/** Versions (oldest first) against a baseline; paths in findings relative to the project. */
export function checkVersions(versions: readonly VersionModel[], baseline: LockFile, baselineName = 'the baseline'): Finding[] {
  return runRules({ versions, baseline, baselineName, requireLocked: false, root: PROJECT_ROOT });
}

/** The lock the given versions would have if they were all released. */
export function lockOf(schemaName: string, versions: readonly VersionModel[]): LockFile {
  return lockFromVersions(schemaName, versions.map(canonicalVersion), featureEntries(versions));
}

function featureEntries(versions: readonly VersionModel[]): LockFeatureEntry[] {
  return versions.flatMap((v) => lockedFeatures(v) ?? []);
}

export interface CheckOptions {
  readonly schemaPath?: string;
  readonly lockPath?: string;
  /** A git revision: compare with the schema there instead of with the lock file. */
  readonly against?: string;
  /** Compare generated files with this directory; default: out/ when no schemaPath is given; false: never. */
  readonly outDir?: string | false;
}

type Built = { model: Model; issues?: undefined } | { model?: undefined; issues: readonly SchemaIssue[]; name: string };

/** Build the model; a schema whose only mistake is an unguarded struct is a finding, not an error. */
function build(schema: AbiSchema): Built {
  try {
    return { model: modelOf(schema) };
  } catch (error) {
    if (error instanceof SchemaError && error.issues.every((i) => i.code === 'unguarded-struct')) {
      return { issues: error.issues, name: schema.name };
    }
    throw error;
  }
}

export async function checkSchema(options: CheckOptions = {}): Promise<CheckReport> {
  const schemaPath = resolve(options.schemaPath ?? DEFAULT_SCHEMA);
  const schema = await loadSchema(schemaPath);
  const built = build(schema);
  const baseline = options.against
    ? { lock: await lockAtRevision(schemaPath, options.against), name: `revision ${options.against}` }
    : { lock: readLock(options.lockPath ?? DEFAULT_LOCK), name: displayLock(options.lockPath) };
  const outDir = options.outDir ?? (options.schemaPath === undefined ? DEFAULT_OUT : false);
  const stale = built.model && outDir ? { outDir, report: await compareOut(outDir, built.model, options.schemaPath === undefined) } : undefined;
  const findings = runRules({
    versions: built.model ? allVersions(built.model) : [],
    baseline: baseline.lock,
    baselineName: baseline.name,
    requireLocked: !options.against,
    root: PROJECT_ROOT,
    ...(built.issues ? { schemaIssues: built.issues } : {}),
    ...(stale ? { stale } : {}),
    features: built.model ? featureVersions(built.model) : [],
  });
  return { baseline: baseline.name, findings };
}

/**
 * out/ against what the schema gives. With the project's own schema, out/ that still matches the
 * digests generate recorded is up to date without regenerating; otherwise the emitters are loaded
 * (most of the start-up time) and every file compared.
 */
async function compareOut(outDir: string, model: Model, projectSchema: boolean): Promise<StaleReport> {
  if (projectSchema && recordedFresh(outDir, inputsDigest())) return { changed: [], missing: [], extra: [] };
  const { generateFiles } = await import('../generate.ts');
  return compareWithDisk(outDir, await generateFiles(model));
}

async function lockAtRevision(schemaPath: string, ref: string): Promise<LockFile> {
  return withDirectoryAtRevision(schemaPath, ref, async (there) => {
    const model = buildModel(await schemaExportedBy(there, ref));
    return lockOf(model.name, allVersions(model));
  });
}

/** An older revision may export its schema under another name: take the one AbiSchema it exports. */
async function schemaExportedBy(path: string, ref: string): Promise<AbiSchema> {
  const module = await importModule(path, `the schema at ${ref}`);
  const found = [module['default'], module['schema'], ...Object.values(module)].find(isSchema);
  if (!found) {
    throw new InputError(
      `the schema module at ${ref} exports no family({...}) or header({...}): it is from an older luo-abi, whose schema this one cannot read; ` +
        'compare with a later revision, or with the lock file (luo-abi check without --against)',
    );
  }
  return found;
}

function displayLock(lockPath: string | undefined): string {
  return displayPath(lockPath ?? DEFAULT_LOCK);
}

export interface LockResult {
  /** Errors that stop the lock from being written: a locked layout would change. */
  readonly findings: readonly Finding[];
  readonly added: readonly LockEntry[];
  readonly addedFeatures: readonly LockFeatureEntry[];
  readonly written: boolean;
}

/**
 * Records the strings the schema uses that the lock lacks. Refuses, writing nothing, when any rule
 * reports an error other than a missing entry: a locked layout is never rewritten.
 */
export async function lockSchema(options: { schemaPath?: string; lockPath?: string } = {}): Promise<LockResult> {
  const schemaPath = resolve(options.schemaPath ?? DEFAULT_SCHEMA);
  const lockPath = resolve(options.lockPath ?? DEFAULT_LOCK);
  const model = modelOf(await loadSchema(schemaPath));
  const current = existsSync(lockPath) ? readLock(lockPath) : lockFromVersions(model.name, []);
  const findings = runRules({
    versions: allVersions(model),
    features: featureVersions(model),
    baseline: current,
    baselineName: displayLock(options.lockPath),
    requireLocked: false,
    root: PROJECT_ROOT,
  });
  if (findings.some((f) => f.severity === 'error')) return { findings, added: [], addedFeatures: [], written: false };
  const merged = mergeIntoLock(current, allVersions(model).map((v) => canonicalVersion(v)), featureEntries(allVersions(model)));
  writeLock(lockPath, merged.lock);
  return { findings, added: merged.added, addedFeatures: merged.addedFeatures, written: true };
}
