/**
 * The handover graph of one version: where the next kernel starts (the FDT nodes, the struct a KHO
 * entry holds, or the field of another header's struct that points here), and every memory block it
 * finds by following physical addresses from there, laid out in columns by how many hops it takes
 * to get there. Computed from the model's container and pointer targets alone; the HTML template
 * draws the numbers.
 */
import type { ContainerModel, FieldModel, Model, NodeModel, TargetModel, VersionModel } from '../../model/index.ts';
import { allVersions, findStruct, targetStructs } from '../../model/index.ts';
import { headerFile } from '../prose.ts';
import { containerAnchor, structAnchor, versionAnchor } from './anchors.ts';
import { roleOf, type FieldRole } from './describe.ts';
import { typeText } from './view.ts';

const FONT = 12;
const GLYPH = 0.6;
const LABEL_FONT = 11;
const ROW_HEIGHT = 20;
const TITLE_HEIGHT = 42;
const SECTION_HEIGHT = 22;
const BOX_PADDING = 10;
const MIN_BOX_WIDTH = 200;
const COLUMN_GAP = 90;
const BOX_GAP = 28;
const MARGIN = 16;
const CORNER = 7;
/** Room right of the last column for a chain's loop back to itself. */
const LOOP_ROOM = 72;

export interface HandoverGraph {
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly GraphBox[];
  readonly edges: readonly GraphEdge[];
}

export interface GraphBox {
  readonly id: string;
  /** Where the next kernel starts (an FDT node, a KHO entry, another header's field), or a memory block. */
  readonly kind: 'fdt' | 'entry' | 'from' | 'memory';
  /** The in-page link of the title: the container card, or the card of the box's first struct. */
  readonly link: string;
  /** The structs this box holds, space-separated (empty where the next kernel starts, and for state another header's handler keeps). */
  readonly structs: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The title band: the box's top with its rounded corners. */
  readonly titlePath: string;
  readonly textX: number;
  readonly title: TextLine;
  readonly subtitle: TextLine;
  readonly rows: readonly GraphRow[];
}

export interface TextLine {
  readonly y: number;
  readonly text: string;
}

export interface GraphRow {
  readonly kind: 'section' | 'field';
  readonly role: FieldRole | 'property';
  readonly y: number;
  readonly height: number;
  /** Where the row's text sits: the name left, the type right-aligned, a field's colour swatch before both. */
  readonly baseline: number;
  readonly swatch?: { readonly x: number; readonly y: number };
  readonly textX: number;
  readonly detailX: number;
  readonly text: string;
  readonly detail: string;
  /** For a struct's section: the in-page link to that struct's card. */
  readonly link?: string;
}

export interface GraphEdge {
  readonly kind: 'pointer' | 'subnode' | 'next';
  readonly from: string;
  readonly to: string;
  /**
   * The property or field holding the address: `/luo-session:luo-session-header`, `luo_ser.flbs_pa`;
   * `kho-entry` for what a KHO entry holds.
   */
  readonly via: string;
  readonly path: string;
  readonly labelX: number;
  readonly labelY: number;
  readonly label: string;
}

interface PendingBox {
  id: string;
  kind: GraphBox['kind'];
  /** Where the title leads: the FDT layout card, or the card of the box's first struct. */
  link: string;
  structs: string[];
  title: string;
  subtitle: string;
  rows: PendingRow[];
  column: number;
}

interface PendingEdge {
  kind: GraphEdge['kind'];
  from: string;
  row: number;
  to: string;
  via: string;
  label: string;
}

export function handoverGraph(model: Model, version: VersionModel): HandoverGraph {
  const boxes = new Map<string, PendingBox>();
  const edges: PendingEdge[] = [];
  const queue: PendingBox[] = [];
  const prefix = `${versionAnchor(version.name)}-graph`;
  const anchor = version.name;
  const add = (box: PendingBox): PendingBox => {
    boxes.set(box.id, box);
    queue.push(box);
    return box;
  };
  /** The box of a pointer target, made on first sight one column right of where it was seen. */
  const targetBox = (target: TargetModel, column: number, via: string): string => {
    const id = `${prefix}-${targetKey(target, via)}`;
    if (!boxes.has(id)) add(memoryBox(model, id, target, version, via, column));
    return id;
  };

  const visitNode = (node: NodeModel, column: number): PendingBox => {
    const box = add(fdtBox(`${prefix}-fdt${node.path === '/' ? '' : node.path.replaceAll('/', '-')}`, node, anchor, column));
    node.properties.forEach((property, i) => {
      if (!property.pointer) return;
      const via = `${node.path}:${property.name}`;
      // Row 0 is the node's compatible string, where it has one; the properties follow.
      edges.push({ kind: 'pointer', from: box.id, row: i + (node.compatible ? 1 : 0), to: targetBox(property.pointer.target, column + 1, via), via, label: '' });
    });
    for (const child of node.children) {
      const childBox = visitNode(child, column + 1);
      edges.push({ kind: 'subnode', from: box.id, row: -1, to: childBox.id, via: child.path, label: 'subnode' });
    }
    return box;
  };
  const start = (container: ContainerModel): void => {
    switch (container.kind) {
      case 'fdt':
        visitNode(container.root, 0);
        return;
      case 'kho-entry': {
        const box = add(entryBox(`${prefix}-entry`, container, anchor));
        const via = 'kho-entry';
        edges.push({ kind: 'pointer', from: box.id, row: 0, to: targetBox({ shape: 'struct', struct: container.struct }, 1, via), via, label: '' });
        return;
      }
      case 'reached-from': {
        const box = add(fromBox(model, `${prefix}-from`, container, anchor));
        const via = `${container.from.struct}.${container.field}`;
        // Row 0 is the selector string, row 1 the address.
        edges.push({ kind: 'pointer', from: box.id, row: 1, to: targetBox(container.target, 1, via), via, label: '' });
        return;
      }
    }
  };
  if (version.container) start(version.container);

  // Breadth first, so a block sits in the column of its shortest path from where the kernel starts.
  let walked = 0;
  const walk = (): void => {
    for (; walked < queue.length; walked++) {
      const box = queue[walked]!;
      if (box.kind !== 'memory') continue;
      box.rows.forEach((row, index) => {
        const pointer = row.pointer;
        if (!pointer) return;
        if (pointer.loop) {
          edges.push({ kind: 'next', from: box.id, row: index, to: box.id, via: pointer.via, label: 'next' });
        } else {
          edges.push({ kind: 'pointer', from: box.id, row: index, to: targetBox(pointer.target!, box.column + 1, pointer.via), via: pointer.via, label: '' });
        }
      });
    }
  };
  walk();
  // Structs no address of the state leads to (a type the header gives its clients, like a preserved
  // vmalloc area's): each is a start of its own, those nothing else points at or embeds first.
  const shown = (): Set<string> => new Set([...boxes.values()].flatMap((b) => b.structs.flatMap((name) => [name, ...nestedStructs(version, name)])));
  const referenced = new Set(version.visibleStructs.flatMap((s) => [...nestedStructs(version, s.name), ...pointedAt(s.fields)]));
  for (const pass of [(name: string) => !referenced.has(name), () => true]) {
    for (const struct of version.visibleStructs) {
      if (shown().has(struct.name) || !pass(struct.name)) continue;
      const root = add(memoryBox(model, `${prefix}-${targetKey({ shape: 'struct', struct: struct.name }, '')}`, { shape: 'struct', struct: struct.name }, version, '', 0));
      root.subtitle = 'for clients: no address here leads to it';
      walk();
    }
  }
  return place([...boxes.values()], edges);
}

/** The structs `name` embeds, at any depth. */
function nestedStructs(version: VersionModel, name: string): string[] {
  const inFields = (fields: readonly FieldModel[]): string[] =>
    fields.flatMap((f) => (f.type.kind === 'aggregate' ? [f.type.name, ...nestedStructs(version, f.type.name)] : f.type.kind === 'inline' ? inFields(f.type.fields) : []));
  return inFields(findStruct(version, name).fields);
}

/** The structs the pointers among `fields` lead to. */
function pointedAt(fields: readonly FieldModel[]): string[] {
  return fields.flatMap((f) => (f.type.kind === 'pointer' ? targetStructs(f.type.target) : f.type.kind === 'inline' ? pointedAt(f.type.fields) : []));
}

// -----------------------------------------------------------------------------------------------
// What each box says

interface PendingRow extends Pick<GraphRow, 'kind' | 'role' | 'height' | 'text' | 'detail' | 'link'> {
  readonly pointer?: { readonly via: string; readonly target?: TargetModel; readonly loop?: boolean };
}

function fdtBox(id: string, node: NodeModel, version: string, column: number): PendingBox {
  const rows: PendingRow[] = [
    ...(node.compatible ? [{ kind: 'field', role: 'property', height: ROW_HEIGHT, text: 'compatible', detail: `"${node.compatible.value}"` } as PendingRow] : []),
    ...node.properties.map((p): PendingRow => ({
      kind: 'field',
      role: p.kind === 'pointer' ? 'pointer' : p.kind === 'u64' ? 'number' : 'chars',
      height: ROW_HEIGHT,
      text: p.name,
      detail: p.kind === 'pointer' ? 'PA' : p.kind,
    })),
  ];
  return { id, kind: 'fdt', link: `#${containerAnchor(version)}`, structs: [], title: node.path === '/' ? 'FDT /' : `FDT ${node.path}`, subtitle: node.compatible?.macro ?? `guarded by its parent's string`, rows, column };
}

/** The KHO entry: its name, and the address of the struct it holds. */
function entryBox(id: string, container: Extract<ContainerModel, { kind: 'kho-entry' }>, version: string): PendingBox {
  const rows: PendingRow[] = [{ kind: 'field', role: 'pointer', height: ROW_HEIGHT, text: `struct ${container.struct}`, detail: 'PA' }];
  return { id, kind: 'entry', link: `#${containerAnchor(version)}`, structs: [], title: `KHO entry "${String(container.khoEntry.value)}"`, subtitle: container.khoEntry.name, rows, column: 0 };
}

/** The other header's struct: the string that selects this state, and the field with its address. */
function fromBox(model: Model, id: string, container: Extract<ContainerModel, { kind: 'reached-from' }>, version: string): PendingBox {
  const rows: PendingRow[] = [
    { kind: 'field', role: 'chars', height: ROW_HEIGHT, text: container.selector, detail: `"${container.compatible.value}"` },
    { kind: 'field', role: 'pointer', height: ROW_HEIGHT, text: container.field, detail: 'PA' },
  ];
  return {
    id,
    kind: 'from',
    link: `#${containerAnchor(version)}`,
    structs: [],
    title: `struct ${container.from.struct}`,
    subtitle: `in ${headerFile(model, container.from.header)}`,
    rows,
    column: 0,
  };
}

function memoryBox(model: Model, id: string, target: TargetModel, version: VersionModel, via: string, column: number): PendingBox {
  const rows: PendingRow[] = [];
  // A struct's card is in the section of the version that declares it.
  const link = (struct: string): string => `#${structAnchor(findStruct(version, struct).version, struct)}`;
  const section = (struct: string, detail: string): void =>
    void rows.push({ kind: 'section', role: 'struct', height: SECTION_HEIGHT, text: `struct ${struct}`, detail, link: link(struct) });
  const fieldsOf = (structName: string, loopField?: string): void => {
    const struct = findStruct(version, structName);
    rows.push(...flatFields(struct.name, struct.fields, '', version, loopField));
  };
  const pages = (t: Extract<TargetModel, { block: unknown }>): string =>
    t.block.kind === 'pages' ? `${t.block.pages} ${t.block.pages === 1 ? 'page' : 'pages'}` : `${t.block.field} pages`;
  switch (target.shape) {
    case 'struct':
      section(target.struct, `${findStruct(version, target.struct).size} B`);
      fieldsOf(target.struct);
      return { id, kind: 'memory', link: link(target.struct), structs: [target.struct], title: target.struct, subtitle: 'one struct', rows, column };
    case 'array':
      section(target.entry, `× ${target.count}`);
      fieldsOf(target.entry);
      return { id, kind: 'memory', link: link(target.entry), structs: [target.entry], title: `${target.entry} array`, subtitle: `one block of ${pages(target)}`, rows, column };
    case 'header-array':
    case 'chain':
      section(target.header, 'header');
      fieldsOf(target.header, target.shape === 'chain' ? target.next : undefined);
      section(target.entry, `× ${target.count}`);
      fieldsOf(target.entry);
      return {
        id,
        kind: 'memory',
        link: link(target.header),
        structs: [target.header, target.entry],
        title: `${target.entry} ${target.shape === 'chain' ? 'chain' : 'block'}`,
        subtitle: target.shape === 'chain' ? `blocks of ${pages(target)}, linked by ${target.next}` : `one block of ${pages(target)}`,
        rows,
        column,
      };
    case 'selected': {
      // What the handler named by the selector keeps: the headers of the family that say so.
      const owner = via.split('.')[0]!;
      const field = via.slice(owner.length + 1);
      const handlers = allVersions(model).filter((v) => v.container?.kind === 'reached-from' && v.container.from.struct === owner && v.container.field === field);
      for (const handler of handlers) {
        const container = handler.container as Extract<ContainerModel, { kind: 'reached-from' }>;
        rows.push({ kind: 'section', role: 'struct', height: SECTION_HEIGHT, text: `"${container.compatible.value}"`, detail: handler.name, link: `#${containerAnchor(handler.name)}` });
      }
      return {
        id,
        kind: 'memory',
        link: handlers.length > 0 ? `#${containerAnchor(handlers[0]!.name)}` : link(owner),
        structs: [],
        title: 'handler state',
        subtitle: `chosen by ${owner}.${target.selector}`,
        rows,
        column,
      };
    }
    case 'radix-tree':
      section(target.node, `${target.depth - 1} node levels`);
      fieldsOf(target.node);
      section(target.leaf, 'leaves');
      fieldsOf(target.leaf);
      return {
        id,
        kind: 'memory',
        link: link(target.node),
        structs: [target.node, target.leaf],
        title: 'preserved-memory radix tree',
        subtitle: `${target.depth} levels of one page, not preserved`,
        rows,
        column,
      };
    case 'bitmap-chunks':
      // Structs of the kernel's .c file, not of the header: named, not drawn field by field.
      rows.push({ kind: 'section', role: 'struct', height: SECTION_HEIGHT, text: `struct ${target.header}`, detail: 'header' });
      rows.push({ kind: 'section', role: 'struct', height: SECTION_HEIGHT, text: `struct ${target.entry}`, detail: `× ${target.count}` });
      rows.push({ kind: 'section', role: 'struct', height: SECTION_HEIGHT, text: `struct ${target.bits.struct}`, detail: 'a page of bits each' });
      return { id, kind: 'memory', link: `#${containerAnchor(version.name)}`, structs: [], title: 'preserved-memory bitmaps', subtitle: 'chunks of one page, not preserved', rows, column };
    case 'client': {
      // The state of the client the node's name names: every version that travels under a KHO entry.
      const clients = allVersions(model).filter((v) => v.container && khoEntryOf(v.container) !== undefined);
      for (const client of clients) {
        rows.push({ kind: 'section', role: 'struct', height: SECTION_HEIGHT, text: `"${khoEntryOf(client.container!)}"`, detail: client.name, link: `#${containerAnchor(client.name)}` });
      }
      return {
        id,
        kind: 'memory',
        link: clients.length > 0 ? `#${containerAnchor(clients[0]!.name)}` : `#${containerAnchor(version.name)}`,
        structs: [],
        title: 'client state',
        subtitle: `chosen by the node's name${target.size ? `, ${target.size} bytes` : ''}`,
        rows,
        column,
      };
    }
  }
}

/** The KHO entry a container travels under, if any. */
function khoEntryOf(container: ContainerModel): string | undefined {
  return container.kind === 'fdt' || container.kind === 'kho-entry' ? (container.khoEntry ? String(container.khoEntry.value) : undefined) : undefined;
}

/** A struct's members, nested structs spelled out as `outer.inner` (an anonymous one's by their own names), so every address has a row. */
function flatFields(owner: string, fields: readonly FieldModel[], prefix: string, version: VersionModel, loopField?: string): PendingRow[] {
  return fields.flatMap((f): PendingRow[] => {
    const name = `${prefix}${f.name}`;
    if (f.type.kind === 'aggregate') return flatFields(owner, findStruct(version, f.type.name).fields, `${name}.`, version);
    if (f.type.kind === 'inline') return flatFields(owner, f.type.fields, f.anonymous ? prefix : `${name}.`, version);
    const via = `${owner}.${name}`;
    const row = { kind: 'field' as const, role: roleOf(f.type), height: ROW_HEIGHT, text: name, detail: f.type.kind === 'pointer' ? 'PA' : typeText(f) };
    if (name === loopField) return [{ ...row, detail: 'PA', role: 'pointer', pointer: { via, loop: true } }];
    return [f.type.kind === 'pointer' ? { ...row, pointer: { via, target: f.type.target } } : row];
  });
}

/** Two pointers to the same kind of memory share a box; the state a selector chooses is the field's own. */
function targetKey(target: TargetModel, via: string): string {
  const slug = (name: string): string => name.replaceAll('_', '-').replaceAll('.', '-');
  switch (target.shape) {
    case 'struct':
      return slug(target.struct);
    case 'array':
      return `array-${slug(target.entry)}`;
    case 'header-array':
    case 'chain':
      return `${target.shape}-${slug(target.header)}-${slug(target.entry)}`;
    case 'selected':
      return `selected-${slug(via)}`;
    case 'radix-tree':
      return `radix-${slug(target.node)}`;
    case 'bitmap-chunks':
      return `bitmaps-${slug(target.header)}`;
    case 'client':
      return `client-${slug(via)}`;
  }
}

// -----------------------------------------------------------------------------------------------
// Where everything goes

function textWidth(chars: number): number {
  return chars * FONT * GLYPH;
}

function place(pending: readonly PendingBox[], pendingEdges: readonly PendingEdge[]): HandoverGraph {
  const columnCount = Math.max(...pending.map((b) => b.column)) + 1;
  const widths = Array.from({ length: columnCount }, () => MIN_BOX_WIDTH);
  for (const box of pending) {
    const needed = Math.max(
      textWidth(box.title.length + 2),
      textWidth(box.subtitle.length + 2),
      ...box.rows.map((r) => textWidth(r.text.length + r.detail.length + 3) + 14),
    );
    widths[box.column] = Math.max(widths[box.column]!, Math.ceil(needed + 2 * BOX_PADDING));
  }
  const heights = pending.map((b) => TITLE_HEIGHT + b.rows.reduce((sum, r) => sum + r.height, 0) + 6);
  const columnHeights = Array.from({ length: columnCount }, (_, c) =>
    pending.reduce((sum, b, i) => (b.column === c ? sum + heights[i]! + BOX_GAP : sum), -BOX_GAP),
  );
  const tallest = Math.max(...columnHeights);
  const nextY = columnHeights.map((h) => MARGIN + (tallest - h) / 2);
  const columnX = widths.map((_, c) => MARGIN + widths.slice(0, c).reduce((sum, w) => sum + w + COLUMN_GAP, 0));
  const boxes: GraphBox[] = pending.map((b, i) => {
    const x = columnX[b.column]!;
    const y = nextY[b.column]!;
    nextY[b.column] = y + heights[i]! + BOX_GAP;
    let rowTop = y + TITLE_HEIGHT;
    const width = widths[b.column]!;
    const rows = b.rows.map((r): GraphRow => {
      const row = {
        kind: r.kind,
        role: r.role,
        y: rowTop,
        height: r.height,
        baseline: rowTop + r.height / 2 + 4,
        ...(r.kind === 'field' ? { swatch: { x: x + BOX_PADDING, y: rowTop + r.height / 2 - 5 } } : {}),
        textX: x + BOX_PADDING + (r.kind === 'field' ? 14 : 0),
        detailX: x + width - BOX_PADDING,
        text: r.text,
        detail: r.detail,
        ...(r.link !== undefined ? { link: r.link } : {}),
      };
      rowTop += r.height;
      return row;
    });
    return {
      id: b.id,
      kind: b.kind,
      link: b.link,
      structs: b.structs.join(' '),
      x,
      y,
      width,
      height: heights[i]!,
      titlePath: `M ${x} ${y + CORNER} a ${CORNER} ${CORNER} 0 0 1 ${CORNER} -${CORNER} h ${width - 2 * CORNER} a ${CORNER} ${CORNER} 0 0 1 ${CORNER} ${CORNER} v ${TITLE_HEIGHT - CORNER} h -${width} z`,
      textX: x + BOX_PADDING,
      title: { y: y + 18, text: b.title },
      subtitle: { y: y + 34, text: b.subtitle },
      rows,
    };
  });
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const edges = pendingEdges.map((e) => edgePath(e, byId.get(e.from)!, byId.get(e.to)!));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  return {
    width: Math.ceil(right + LOOP_ROOM + MARGIN),
    height: Math.ceil(MARGIN + tallest + MARGIN),
    boxes,
    edges,
  };
}

function edgePath(edge: PendingEdge, from: GraphBox, to: GraphBox): GraphEdge {
  const base = { kind: edge.kind, from: from.id, to: to.id, via: edge.via, label: edge.label };
  const startY = edge.row < 0 ? from.y + TITLE_HEIGHT / 2 : from.rows[edge.row]!.y + from.rows[edge.row]!.height / 2;
  const startX = from.x + from.width;
  const endY = to.y + TITLE_HEIGHT / 2;
  if (edge.kind === 'next') {
    // Out of the box's right side and back into its title: the chain goes on in another block.
    const bend = startX + 34;
    return { ...base, path: `M ${startX} ${startY} C ${bend} ${startY}, ${bend} ${endY}, ${startX + 2} ${endY}`, labelX: startX + 30, labelY: (startY + endY) / 2 + 4 };
  }
  const endX = to.x - 2;
  const bend = (endX - startX) / 2;
  return {
    ...base,
    path: `M ${startX} ${startY} C ${startX + bend} ${startY}, ${endX - bend} ${endY}, ${endX} ${endY}`,
    labelX: (startX + endX) / 2 - (edge.label.length * LABEL_FONT * GLYPH) / 2,
    labelY: (startY + endY) / 2 - 6,
  };
}
