/**
 * What changed between two versions for a changelog, when one of them has no guard string (its state
 * is guarded by feature bits, or it only provides types): the comparison of guards sees no structs
 * there, so the structs are compared as the version declares and uses them.
 */
import { canonicalStruct } from '../model/canonical.ts';
import { diffStructLists, diffVersions, type LayoutChange } from '../model/diff.ts';
import type { VersionModel } from '../model/index.ts';

export function versionChanges(older: VersionModel, newer: VersionModel): LayoutChange[] {
  const changes = diffVersions(older, newer);
  if (older.guards.length > 0 && newer.guards.length > 0) return changes;
  const structs = (v: VersionModel) => v.visibleStructs.map(canonicalStruct);
  return [...changes.filter((c) => c.target.struct === undefined), ...diffStructLists(structs(older), structs(newer))];
}
