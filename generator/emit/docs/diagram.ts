/**
 * Geometry of a struct's byte-layout diagram: rows of BYTES_PER_ROW bytes, each byte BYTE_WIDTH
 * pixels wide, every field a box (or, when it wraps, several) whose area is its size; a bit-field's
 * box is as wide as its bits, so the fields of one storage unit share its bytes. A union's
 * members all start at 0, so each gets a lane of its own, one under the other. A long run of rows
 * that one field fills (a page-sized table) is folded into its first row, one row standing for the
 * rest, and its last row; the diagram lists the byte each drawn row starts at, so the geometry still
 * says where every bit is. The HTML template draws these numbers as they are; labels are cut to
 * what fits, as SVG text does not wrap.
 */
import type { FieldModel, StructModel, VersionModel } from '../../model/index.ts';
import { findStruct } from '../../model/index.ts';
import { roleOf, type FieldRole } from './describe.ts';
import { typeText, type FieldDoc } from './view.ts';

export const BYTES_PER_ROW = 16;
export const BYTE_WIDTH = 40;
export const ROW_HEIGHT = 48;
/** Room on the left for the row offsets and above for the byte ruler. */
const MARGIN_LEFT = 44;
const MARGIN_TOP = 22;
/** Space between the lanes of a union. */
const LANE_GAP = 10;
const MARGIN_BOTTOM = 8;
/** Room for the last ruler label, centred on the right edge. */
const MARGIN_RIGHT = 12;
/** Monospace glyph width relative to the font size, to cut labels to their box. */
const GLYPH = 0.6;
const NAME_FONT = 13;
const DETAIL_FONT = 11;
const LABEL_INSET = 6;
/** Where a nested struct's members start below the top of its box. */
const PART_TOP = 19;
/** Runs of more rows than this that one field fills are folded. */
const FOLD_AFTER = 4;
const ROW_BITS = BYTES_PER_ROW * 8;

export interface StructDiagram {
  readonly width: number;
  readonly height: number;
  readonly bytesPerRow: number;
  readonly byteWidth: number;
  readonly rowHeight: number;
  readonly originX: number;
  /** Byte columns marked above the rows. */
  readonly rulers: readonly { readonly x: number; readonly top: number; readonly bottom: number; readonly labelY: number; readonly label: string }[];
  /** The offset each row starts at, left of it ('…' for a row that stands for several). */
  readonly rows: readonly { readonly x: number; readonly y: number; readonly label: string }[];
  /** The byte each drawn row starts at, space-separated, then where the last one ends. */
  readonly rowStarts: string;
  readonly fields: readonly FieldBox[];
}

/** A drawn row: the bits it stands for (one row of BYTES_PER_ROW bytes, or a folded run). */
interface GridRow {
  readonly start: number;
  readonly end: number;
}

export interface FieldBox {
  readonly name: string;
  readonly role: FieldRole;
  /** Where the field is, in bits (a byte field's are whole bytes). */
  readonly bitOffset: number;
  readonly bitSize: number;
  readonly title: string;
  /** Where byte 0 of this field's lane is drawn (every field shares one lane, but in a union). */
  readonly originY: number;
  readonly segments: readonly Rect[];
  /** A zero-size member (a flexible array) is a line where it starts, labelled to its right. */
  readonly marker?: { readonly x: number; readonly y1: number; readonly y2: number };
  readonly label?: BoxLabel;
  /** The members of a nested struct, drawn inside its box. */
  readonly parts: readonly PartBox[];
}

export interface PartBox {
  readonly name: string;
  readonly role: FieldRole;
  readonly segments: readonly Rect[];
  readonly label?: { readonly x: number; readonly y: number; readonly text: string };
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface BoxLabel {
  readonly offset: TextAt;
  readonly name: TextAt;
  readonly type: TextAt;
}

export interface TextAt {
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly anchor: 'start' | 'end';
}

export function structDiagram(struct: StructModel, fields: readonly FieldDoc[], version: VersionModel): StructDiagram {
  const grid = gridRows(struct, fields);
  const laneCount = struct.kind === 'union' ? fields.length : 1;
  const laneTop = (lane: number): number => MARGIN_TOP + lane * (grid.length * ROW_HEIGHT + LANE_GAP);
  const bottom = laneTop(laneCount - 1) + grid.length * ROW_HEIGHT;
  const rulers = [];
  for (let byte = 0; byte <= BYTES_PER_ROW; byte += 4) {
    rulers.push({ x: MARGIN_LEFT + byte * BYTE_WIDTH, top: MARGIN_TOP - 4, bottom, labelY: MARGIN_TOP - 8, label: String(byte) });
  }
  const rows = [];
  for (let lane = 0; lane < laneCount; lane++) {
    for (const [index, row] of grid.entries()) {
      const folded = row.end - row.start > ROW_BITS;
      rows.push({ x: MARGIN_LEFT - 8, y: laneTop(lane) + index * ROW_HEIGHT + ROW_HEIGHT / 2 + 4, label: folded ? '…' : String(row.start / 8) });
    }
  }
  return {
    width: MARGIN_LEFT + BYTES_PER_ROW * BYTE_WIDTH + MARGIN_RIGHT,
    height: bottom + MARGIN_BOTTOM,
    bytesPerRow: BYTES_PER_ROW,
    byteWidth: BYTE_WIDTH,
    rowHeight: ROW_HEIGHT,
    originX: MARGIN_LEFT,
    rulers,
    rows,
    rowStarts: [...grid.map((r) => r.start / 8), grid.at(-1)!.end / 8].join(' '),
    fields: fields.map((f, i) => fieldBox(f, struct, version, grid, laneTop(struct.kind === 'union' ? i : 0))),
  };
}

/** The drawn rows: one per BYTES_PER_ROW bytes, but the middle of a long run one field fills is one row. */
function gridRows(struct: StructModel, fields: readonly FieldDoc[]): GridRow[] {
  const count = Math.max(1, Math.ceil(struct.size / BYTES_PER_ROW));
  const rows: GridRow[] = Array.from({ length: count }, (_, i) => ({ start: i * ROW_BITS, end: (i + 1) * ROW_BITS }));
  // A union's lanes overlap; only a struct's rows are folded.
  if (struct.kind === 'union') return rows;
  const filler = (row: GridRow): FieldDoc | undefined => fields.find((f) => f.bitOffset <= row.start && f.bitOffset + f.bitSize >= row.end);
  const out: GridRow[] = [];
  for (let i = 0; i < rows.length; ) {
    const field = filler(rows[i]!);
    let j = i;
    while (field && j + 1 < rows.length && filler(rows[j + 1]!) === field) j++;
    const run = j - i + 1;
    if (field && run > FOLD_AFTER) {
      out.push(rows[i]!, { start: rows[i + 1]!.start, end: rows[j - 1]!.end }, rows[j]!);
    } else {
      out.push(...rows.slice(i, j + 1));
    }
    i = j + 1;
  }
  return out;
}

function fieldBox(field: FieldDoc, struct: StructModel, version: VersionModel, grid: readonly GridRow[], originY: number): FieldBox {
  const segments = segmentsOf(grid, field.bitOffset, field.bitSize, originY);
  const widest = segments.reduce((best, s) => (s.width * s.height > best.width * best.height ? s : best), segments[0]!);
  const name = field.role === 'padding' ? 'padding' : field.label;
  const first = segments[0]!;
  const rowEnd = MARGIN_LEFT + BYTES_PER_ROW * BYTE_WIDTH;
  const labelBox = field.bitSize === 0 ? { ...first, width: rowEnd - first.x } : widest;
  const extent = /bits$/.test(field.sizeText) ? field.sizeText : `${field.sizeText} ${field.sizeText === '1' ? 'byte' : 'bytes'}`;
  return {
    name: field.name,
    role: field.role,
    bitOffset: field.bitOffset,
    bitSize: field.bitSize,
    title: `${field.role === 'padding' ? 'padding' : `${field.type} ${field.label}`}: offset ${field.offset}, ${extent}`,
    originY,
    segments,
    ...(field.bitSize === 0 ? { marker: { x: first.x, y1: first.y, y2: first.y + first.height } } : {}),
    ...(labelBox.width > 0 ? { label: boxLabel(labelBox, field, name) } : {}),
    parts: nestedParts(field, struct, version, grid, originY),
  };
}

/**
 * Offset top left, name and type below it; a nested struct keeps all three on its top line, as its
 * members fill the rest of the box.
 */
function boxLabel(box: Rect, field: FieldDoc, name: string): BoxLabel {
  const room = box.width - 2 * LABEL_INSET;
  const left = box.x + LABEL_INSET;
  const top = box.y + 13;
  const offset = fit(/bits$/.test(field.sizeText) ? `bit ${field.bitOffset}` : `+${field.offset}`, room, DETAIL_FONT);
  const extent = /bits$/.test(field.sizeText) ? field.sizeText.replace('bits', 'b') : `${field.sizeText} B`;
  const type = field.role === 'padding' ? extent : `${field.type} · ${extent}`;
  if (field.role === 'struct') {
    const nameX = left + (offset.length + 1) * DETAIL_FONT * GLYPH;
    const nameText = fit(name, box.width / 2 - (nameX - box.x), NAME_FONT);
    return {
      offset: { x: left, y: top, text: offset, anchor: 'start' },
      name: { x: nameX, y: top, text: nameText, anchor: 'start' },
      type: { x: box.x + box.width - LABEL_INSET, y: top, text: fit(type, box.width / 2 - LABEL_INSET, DETAIL_FONT), anchor: 'end' },
    };
  }
  const nameY = box.height > ROW_HEIGHT ? box.y + box.height / 2 + 4 : box.y + 30;
  return {
    offset: { x: left, y: top, text: offset, anchor: 'start' },
    name: { x: left, y: nameY, text: fit(name, room, NAME_FONT), anchor: 'start' },
    type: { x: left, y: nameY + 13, text: fit(type, room, DETAIL_FONT), anchor: 'start' },
  };
}

/**
 * The members of a nested struct (named, or declared in place), at their places inside the outer
 * one, below its label line. A nested union's members overlap; its own diagram or its type shows them.
 */
function nestedParts(field: FieldDoc, struct: StructModel, version: VersionModel, grid: readonly GridRow[], originY: number): PartBox[] {
  const member = struct.fields.find((f) => f.name === field.name && field.role !== 'padding');
  const type = member?.type;
  const inner: readonly FieldModel[] =
    type?.kind === 'aggregate' && type.aggregate === 'struct' ? findStruct(version, type.name).fields : type?.kind === 'inline' && type.aggregate === 'struct' ? type.fields : [];
  return inner.map((f) => {
    const bitOffset = field.bitOffset + f.offset * 8 + (f.bits?.shift ?? 0);
    const segments = segmentsOf(grid, bitOffset, f.bits?.width ?? f.size * 8, originY).map((r) => ({
      x: r.x + 3,
      y: r.y + PART_TOP,
      width: Math.max(0, r.width - 6),
      height: r.height - PART_TOP - 3,
    }));
    const first = segments[0]!;
    const text = fit(`${f.name}: ${typeText(f)}`, first.width - 2 * LABEL_INSET, DETAIL_FONT);
    return {
      name: f.name,
      role: roleOf(f.type),
      segments,
      ...(text ? { label: { x: first.x + LABEL_INSET, y: first.y + first.height / 2 + 4, text } } : {}),
    };
  });
}

/**
 * The boxes covering bits [offset, offset + size): the rest of the first row, then the full rows
 * as one box, then the start of the last row. A zero-size member (a flexible array) is a marker
 * line where it starts.
 */
function segmentsOf(grid: readonly GridRow[], offset: number, size: number, originY: number): Rect[] {
  const rowWidth = BYTES_PER_ROW * BYTE_WIDTH;
  const xOf = (row: GridRow, bit: number): number => MARGIN_LEFT + ((bit - row.start) / (row.end - row.start)) * rowWidth;
  const end = offset + size;
  if (size === 0) {
    const index = Math.max(0, grid.findIndex((r) => offset < r.end));
    return [{ x: xOf(grid[index]!, offset), y: originY + index * ROW_HEIGHT, width: 0, height: ROW_HEIGHT }];
  }
  const rects: Rect[] = [];
  grid.forEach((row, index) => {
    const from = Math.max(offset, row.start);
    const to = Math.min(end, row.end);
    if (from >= to) return;
    const rect = { x: xOf(row, from), y: originY + index * ROW_HEIGHT, width: xOf(row, to) - xOf(row, from), height: ROW_HEIGHT };
    const last = rects.at(-1);
    // Full rows one after the other are one box.
    if (last && last.width === rowWidth && rect.width === rowWidth && last.x === MARGIN_LEFT && last.y + last.height === rect.y) {
      rects[rects.length - 1] = { ...last, height: last.height + ROW_HEIGHT };
    } else {
      rects.push(rect);
    }
  });
  return rects;
}

/** The text cut with an ellipsis to `width` pixels of monospace at `fontSize`; '' if nothing fits. */
function fit(text: string, width: number, fontSize: number): string {
  const chars = Math.floor(width / (fontSize * GLYPH));
  if (text.length <= chars) return text;
  if (chars < 2) return '';
  return `${text.slice(0, chars - 1)}…`;
}
