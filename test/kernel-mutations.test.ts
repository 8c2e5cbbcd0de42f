/**
 * `luo-abi check --header` on kernel-style trees (test/fixtures/kernel/) edited as a kernel developer
 * would: each layout change without a bump exits 1 with the rule that catches it, against the schema
 * and against the commit before the edit; a comment edit and a covered change exit 0. Every finding
 * names the file and line it is about. The cases are in header-mutations.ts.
 */
import { relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEADER_MUTATIONS, HEADER_SHOWN, runMutation, type Mode } from './header-mutations.ts';
import { FIXTURE_HEADERS, kernelRepository, type FixtureHeader, type KernelRepository } from './kernel-fixtures.ts';

/** One tree per header checked, its fixture versions as its history. */
const repos = new Map<FixtureHeader, KernelRepository>();
beforeAll(() => {
  for (const [name, { path, versions }] of Object.entries(FIXTURE_HEADERS) as [FixtureHeader, (typeof FIXTURE_HEADERS)[FixtureHeader]][]) {
    repos.set(name, kernelRepository(`kernel-mutations-${name}`, versions, path));
  }
});

describe('check --header on a kernel tree, edited without a bump', () => {
  for (const mutation of HEADER_MUTATIONS) {
    for (const mode of mutation.modes ?? (['schema', 'against HEAD'] as Mode[])) {
      it(`${mutation.name} (${mode}): exit ${mutation.expect.exit}`, async () => {
        const repo = repos.get(mutation.header ?? 'luo')!;
        const outcome = await runMutation(repo, mutation, mode);
        expect(outcome.status, outcome.stderr).toBe(mutation.expect.exit);
        const findings = outcome.report!.findings;
        // Every finding names a file of the tree and a line in it: the header, or the sibling header
        // (block.h, kexec_handover.h) that declares the struct it is about.
        for (const f of findings) {
          expect(f.file, `${f.rule} ${f.subject}`).toMatch(new RegExp(`^${relative(process.cwd(), repo.root)}/include/linux/kho/abi/(luo|block|memfd|kexec_handover|memblock)\\.h$`));
          expect(f.line, `${f.rule} ${f.subject}`).toBeGreaterThan(0);
        }
        if (mutation.expect.exit === 0) {
          expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
          return;
        }
        const { rule, compatible, message } = mutation.expect;
        const subject = mutation.expect.subject === HEADER_SHOWN ? relative(process.cwd(), repo.header) : mutation.expect.subject;
        expect(findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toContain(rule);
        const named = findings.filter((f) => f.rule === rule && (subject === undefined || f.subject === subject));
        expect(named.map((f) => f.subject), JSON.stringify(findings, null, 1)).not.toEqual([]);
        if (compatible !== undefined) expect(named.map((f) => f.compatible)).toContain(compatible);
        if (message !== undefined) expect(named.map((f) => f.message).join('\n')).toMatch(message);
      });
    }
  }
});
