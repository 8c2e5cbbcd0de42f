/**
 * The ELF reader and the `.liveupdate_features` parser: against readelf on images gcc made from our
 * C (ELF64 and ELF32, linked and relocatable) and on big-endian files of our own writer; hostile files
 * give an ElfError naming the offset; and no input at all makes either crash or hang (fast-check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ElfError, findSection, readElf, sectionData } from '../generator/elf/read.ts';
import { InputError } from '../generator/core/errors.ts';
import { featureSectionLayout, readFeatureSection, type FeatureSectionLayout } from '../generator/features/section.ts';
import { buildModel } from '../generator/model/index.ts';
import schema from '../schema/index.ts';
import { buildImage, CORE, readelfBytes, readelfSections, readelfSegments, type Subsystem } from './feature-images.ts';
import { featureSectionBytes, writeElf } from './support/elf-writer.ts';
import { runOk, scratchDir } from './support/tools.ts';

const layout: FeatureSectionLayout = featureSectionLayout(buildModel(schema));
const SUBSYSTEMS: Subsystem[] = [
  { name: 'luo', supp: CORE, req: CORE, active: CORE },
  { name: 'memfd', supp: 0b11n, req: 0b01n, active: 0b11n },
  { name: 'kvm_vm_luo_v1', supp: 1n << 63n, req: 0n, active: 1n << 63n },
];

function entriesOf(file: string) {
  const elf = readElf(readFileSync(file), file);
  return readFeatureSection(elf, layout)!.entries.map((e) => ({ name: e.name, supp: e.supported, req: e.required, active: e.active }));
}

/** Our reading of a file beside readelf's: every section header and program header, and the section's bytes. */
function expectReadelfAgrees(file: string): void {
  const elf = readElf(readFileSync(file), file);
  expect(elf.sections.map((s) => ({ index: s.index, name: s.name, addr: s.addr, offset: s.offset, size: s.size }))).toEqual(
    readelfSections(file).map((s) => ({ index: s.index, name: s.name, addr: s.addr, offset: s.offset, size: s.size })),
  );
  expect(elf.segments.map((s) => ({ offset: s.offset, vaddr: s.vaddr, paddr: s.paddr, filesz: s.filesz, memsz: s.memsz }))).toEqual(
    readelfSegments(file).map((s) => ({ offset: s.offset, vaddr: s.vaddr, paddr: s.paddr, filesz: s.filesz, memsz: s.memsz })),
  );
  const section = findSection(elf, '.liveupdate_features')!;
  expect([...sectionData(elf, section)]).toEqual([...readelfBytes(file, '.liveupdate_features')]);
}

describe('kernel images gcc made from test/c/features/kernel.c', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratchDir('elf');
  });

  it.each([
    ['ELF64, linked', {}],
    ['ELF64, relocatable', { object: true }],
    ['ELF32, linked', { m32: true }],
    ['ELF32, relocatable', { m32: true, object: true }],
  ] as const)('%s: the headers and the section read as readelf reads them, the entries as the C wrote them', (name, options) => {
    const file = buildImage(dir, name.replace(/\W+/g, '-'), SUBSYSTEMS, options);
    const elf = readElf(readFileSync(file), file);
    expect(elf.class).toBe('m32' in options ? 32 : 64);
    expect(elf.endian).toBe('little');
    expect(elf.segments.length > 0).toBe(!('object' in options));
    expectReadelfAgrees(file);
    expect(entriesOf(file)).toEqual(SUBSYSTEMS);
  });

  it('an image without the section has none, and says so by returning undefined', () => {
    const file = buildImage(dir, 'none', [], {});
    const elf = readElf(readFileSync(file), file);
    // The header alone: a feature list with no subsystem.
    expect(readFeatureSection(elf, layout)!.entries).toEqual([]);
    runOk('objcopy', ['--remove-section=.liveupdate_features', file, `${file}.stripped`]);
    expect(readFeatureSection(readElf(readFileSync(`${file}.stripped`)), layout)).toBeUndefined();
  });
});

describe('big-endian files of our own writer', () => {
  it.each([32, 64] as const)('ELF%i big-endian: headers, program headers and entries as readelf and we read them', (elfClass) => {
    const data = featureSectionBytes('big', SUBSYSTEMS);
    const written = writeElf({ class: elfClass, endian: 'big', sections: [{ name: '.text', data: new Uint8Array(16), addr: 0x1000n }, { name: '.liveupdate_features', data, addr: 0x2000n }], loads: ['.text', '.liveupdate_features'] });
    const file = join(scratchDir('elf-be'), `be${elfClass}`);
    writeFileSync(file, written.bytes);
    const elf = readElf(written.bytes, file);
    expect([elf.class, elf.endian]).toEqual([elfClass, 'big']);
    expectReadelfAgrees(file);
    expect(entriesOf(file)).toEqual(SUBSYSTEMS);
  });
});


/** A valid little-endian ELF64 with the section, and where things are in it. */
function valid(entries = SUBSYSTEMS.slice(0, 2), elfClass: 32 | 64 = 64) {
  return writeElf({ class: elfClass, endian: 'little', sections: [{ name: '.liveupdate_features', data: featureSectionBytes('little', entries) }] });
}

function failure(bytes: Uint8Array): ElfError {
  try {
    const elf = readElf(bytes, 'vmlinux');
    readFeatureSection(elf, layout);
  } catch (error) {
    if (error instanceof ElfError) return error;
    throw error;
  }
  throw new Error('expected an ElfError');
}

describe('hostile input: an error naming the offset', () => {
  it('a section that runs past the end of the file (truncated, or its header claims more)', () => {
    const { bytes, sections } = valid();
    const s = sections.get('.liveupdate_features')!;
    new DataView(bytes.buffer).setBigUint64(s.header + 32, BigInt(s.size + 4096), true);
    expect(failure(bytes).message).toBe(
      `vmlinux: offset 0x${s.header.toString(16)}: section .liveupdate_features (section 1) claims ${s.size + 4096} bytes at 0x${s.offset.toString(16)}, but the file ends at 0x${bytes.length.toString(16)}: it is truncated or the header is wrong`,
    );
  });

  it('a file cut inside its section headers', () => {
    const { bytes, shoff } = valid();
    expect(failure(bytes.subarray(0, shoff + 10)).message).toBe(`vmlinux: offset 0x${shoff.toString(16)}: the table of 3 section headers of 64 bytes needs 192 bytes there, past the end of the file (${shoff + 10} bytes)`);
  });

  it('wrong ELF magic', () => {
    const { bytes } = valid();
    bytes[1] = 0x46;
    expect(failure(bytes).message).toBe('vmlinux: offset 0x0: not an ELF file: the magic is 7f 46 4c 46, not 7f 45 4c 46 ("\\x7fELF")');
  });

  it('wrong section magic, and the magic of the other byte order', () => {
    const off = valid().sections.get('.liveupdate_features')!.offset;
    const other = writeElf({ class: 64, endian: 'little', sections: [{ name: '.liveupdate_features', data: featureSectionBytes('little', [], { magic: 0x12345678 }) }] });
    expect(failure(other.bytes).message).toBe(`vmlinux: offset 0x${off.toString(16)}: .liveupdate_features: the magic is 0x12345678, not LIVEUPDATE_VER_HDR_MAGIC 0x4c565550 ("LVUP"); this is not a feature list`);
    const swapped = writeElf({ class: 64, endian: 'little', sections: [{ name: '.liveupdate_features', data: featureSectionBytes('big', []) }] });
    expect(failure(swapped.bytes).message).toContain('(it is the magic byte-swapped: the section was written for the other byte order)');
  });

  it('an unknown format version', () => {
    const written = writeElf({ class: 64, endian: 'little', sections: [{ name: '.liveupdate_features', data: featureSectionBytes('little', [], { version: 2 }) }] });
    const off = written.sections.get('.liveupdate_features')!.offset + 4;
    expect(failure(written.bytes).message).toBe(`vmlinux: offset 0x${off.toString(16)}: .liveupdate_features: format version 2; luo-abi reads version 1`);
  });

  it('more entries than bytes: a last entry cut short', () => {
    const data = featureSectionBytes('little', SUBSYSTEMS).subarray(0, 8 + 80 * 2 + 30);
    const written = writeElf({ class: 64, endian: 'little', sections: [{ name: '.liveupdate_features', data }] });
    const s = written.sections.get('.liveupdate_features')!;
    expect(failure(written.bytes).message).toBe(
      `vmlinux: offset 0x${(s.offset + 168).toString(16)}: .liveupdate_features: the last entry has 30 of its 80 bytes: the section ends at 0x${(s.offset + s.size).toString(16)}, inside entry 2`,
    );
  });

  it('a name without a NUL, an empty name, a repeated name, masks wider than the entry', () => {
    const long = 'x'.repeat(48);
    const at = (data: Uint8Array) => writeElf({ class: 64, endian: 'little', sections: [{ name: '.liveupdate_features', data }] });
    const noNul = at(featureSectionBytes('little', [SUBSYSTEMS[0]!, { ...SUBSYSTEMS[1]!, name: long }]));
    expect(failure(noNul.bytes).message).toBe(`vmlinux: offset 0x${(noNul.sections.get('.liveupdate_features')!.offset + 88).toString(16)}: .liveupdate_features: entry 1's name has no NUL within its 48 bytes`);
    expect(failure(at(featureSectionBytes('little', [{ ...SUBSYSTEMS[0]!, name: '' }])).bytes).message).toContain('entry 0 has an empty name');
    expect(failure(at(featureSectionBytes('little', [SUBSYSTEMS[0]!, SUBSYSTEMS[0]!])).bytes).message).toContain('entry 1 repeats the name "luo" of entry 0');
    const wide = at(featureSectionBytes('little', [{ ...SUBSYSTEMS[0]!, featBytes: 16 }]));
    expect(failure(wide.bytes).message).toBe(`vmlinux: offset 0x${(wide.sections.get('.liveupdate_features')!.offset + 8 + 48).toString(16)}: .liveupdate_features: entry 0 ("luo") says its masks have 16 meaningful bytes; they hold 8`);
  });

  it('section headers smaller than one, a section-name table out of range, a name past the table', () => {
    const { bytes, shoff, sections } = valid();
    const small = bytes.slice();
    new DataView(small.buffer).setUint16(58, 40, true);
    expect(failure(small).message).toBe('vmlinux: offset 0x3a: section headers are 40 bytes each, less than the 64 bytes of one');
    const table = bytes.slice();
    new DataView(table.buffer).setUint16(62, 7, true);
    expect(failure(table).message).toBe('vmlinux: offset 0x3e: the section-name table is section 7, but there are 3 sections');
    const name = bytes.slice();
    new DataView(name.buffer).setUint32(sections.get('.liveupdate_features')!.header, 5000, true);
    expect(failure(name).message).toBe(`vmlinux: offset 0x${(shoff + 64).toString(16)}: section 1's name is at 0x1388 in the section-name table, which has 32 bytes`);
  });

  it('a name with no NUL before the end of the section-name table', () => {
    const { bytes, sections } = valid();
    const strtab = sections.get('.shstrtab')!;
    bytes[strtab.offset + strtab.size - 1] = 0x41;
    expect(failure(bytes).message).toBe(`vmlinux: offset 0x${(strtab.offset + 22).toString(16)}: section 2's name has no NUL before the end of the section-name table`);
  });

  it('a count of section headers larger than the file, through the extended count in section header 0', () => {
    const { bytes, shoff } = valid();
    const view = new DataView(bytes.buffer);
    view.setUint16(60, 0, true);
    view.setBigUint64(shoff + 32, 1n << 40n, true);
    expect(failure(bytes).message).toBe(`vmlinux: offset 0x${(shoff + 32).toString(16)}: section header 0 says the file has 1099511627776 section headers, more than it has bytes`);
  });
});

describe('no input crashes or hangs the reader', () => {
  const base = valid(SUBSYSTEMS, 64).bytes;
  const base32 = valid(SUBSYSTEMS, 32).bytes;

  /** Reading either returns or throws an InputError (ElfError is one): nothing else. */
  const readsOrRefuses = (bytes: Uint8Array) => {
    try {
      const elf = readElf(bytes, 'fuzz');
      readFeatureSection(elf, layout);
      for (const s of elf.sections) {
        try {
          sectionData(elf, s);
        } catch (error) {
          if (!(error instanceof ElfError)) throw error;
        }
      }
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
    }
  };

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => readsOrRefuses(bytes)), { numRuns: 2000 });
  });

  it('a valid file with bytes changed, and cut anywhere', () => {
    const mutated = (source: Uint8Array) =>
      fc.tuple(fc.array(fc.tuple(fc.nat({ max: source.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }), fc.nat({ max: source.length })).map(([edits, cut]) => {
        const bytes = source.slice();
        for (const [at, value] of edits) bytes[at] = value;
        return bytes.subarray(0, cut);
      });
    fc.assert(fc.property(fc.oneof(mutated(base), mutated(base32)), (bytes) => readsOrRefuses(bytes)), { numRuns: 3000 });
  });

  it('headers whose counts and offsets are the largest values they can hold', () => {
    const fields = [24, 32, 40, 54, 56, 58, 60, 62];
    fc.assert(
      fc.property(fc.subarray(fields, { minLength: 1 }), fc.constantFrom(0xff, 0x7f, 0x00), (chosen, fill) => {
        const bytes = base.slice();
        for (const at of chosen) bytes.fill(fill, at, at + (at < 52 ? 8 : 2));
        readsOrRefuses(bytes);
      }),
      { numRuns: 500 },
    );
  });
});
