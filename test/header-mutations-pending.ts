/**
 * Cases of issue 10 that `luo-abi check --header` cannot get right with today's rules, written in the
 * shape of HEADER_MUTATIONS (header-mutations.ts) so that enabling one is moving it there. Nothing
 * runs this list: a committed test that fails, or one that is skipped, would say nothing true. Each
 * case says what it needs; with that built, move the case into HEADER_MUTATIONS and
 * test/kernel-mutations.test.ts runs it in both modes it names.
 *
 * What each case gives today (measured when the list was written):
 * - 'the guard macro renamed with its value kept, and a field added': exit 0 in both modes. The
 *   header check tells guards by macro name; LUO_FDT_COMPATIBLE vanishing reads as a bump of the root
 *   string, which covers the new field. Needs guards by role (issue 10, item 3): the root compatible
 *   string is the same string under a new name, so nothing was bumped, and the finding should say the
 *   macro was renamed.
 * - 'a header of a version the schema lacks (luo-v5)' and 'a field added with the root string bumped,
 *   against the schema': exit 0, "no ABI drift against schema version luo-v4", with no word that no
 *   version matched. Needs the new rule for a header no version matches (issue 10, item 4): name the
 *   nearest version, list what differs, exit 1. Its ID is the next free one; until it exists the case
 *   names it by what it is.
 */
import { HEADER } from './kernel-fixtures.ts';
import { FIELD_ADDED, ROOT_BUMPED, type HeaderMutation } from './header-mutations.ts';

/** The rule of issue 10, item 4, named until it has an ID. */
export const NO_VERSION_MATCHES = 'no-schema-version-matches';

export const PENDING_HEADER_MUTATIONS: readonly HeaderMutation[] = [
  {
    name: 'the guard macro renamed with its value kept, and a field added',
    version: 'luo-v4',
    edits: [{ path: HEADER, from: '#define LUO_FDT_COMPATIBLE\t"luo-v4"', to: '#define LUO_ABI_COMPATIBLE\t"luo-v4"' }, FIELD_ADDED],
    expect: { exit: 1, rule: 'LUO001', subject: 'struct luo_file_ser > flags' },
  },
  {
    name: 'a header of a version the schema lacks (luo-v5)',
    version: 'luo-v4',
    files: { [HEADER]: { fixture: 'luo-v5' } },
    modes: ['schema'],
    expect: { exit: 1, rule: NO_VERSION_MATCHES },
  },
  {
    name: 'a field added with the root string bumped, against the schema',
    version: 'luo-v4',
    edits: [FIELD_ADDED, ROOT_BUMPED],
    modes: ['schema'],
    expect: { exit: 1, rule: NO_VERSION_MATCHES },
  },
];
