/** The one error the image reader, walker and builder throw for a bad image or a bad state. */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    /** The chain of places that led to the problem: `/luo-abi-header -> luo_ser.sessions_pa -> block 3 -> entry 17`. */
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}

const NO_TABLE = { table: {}, id: -1 };

/**
 * Where the walker is, built up one step at a time and only turned into text when an error needs it,
 * so that a million entries cost a million small objects at most, not a million strings.
 */
export class Place {
  /** Its number in the block table that last numbered it (blocks.ts), so that the table needs no map of places. */
  tableId: { readonly table: object; readonly id: number } = NO_TABLE;

  private constructor(
    private readonly parent: Place | undefined,
    private readonly step: string | number,
    private readonly kind: 'text' | 'entry' | 'block',
  ) {}

  static at(text: string): Place {
    return new Place(undefined, text, 'text');
  }

  then(text: string): Place {
    return new Place(this, text, 'text');
  }

  entry(index: number): Place {
    return new Place(this, index, 'entry');
  }

  block(index: number): Place {
    return new Place(this, index, 'block');
  }

  toString(): string {
    const steps: string[] = [];
    for (let place: Place | undefined = this; place; place = place.parent) {
      steps.push(place.kind === 'text' ? String(place.step) : `${place.kind} ${place.step}`);
    }
    return steps.reverse().join(' -> ');
  }

  error(problem: string): ImageError {
    return new ImageError(this.toString(), problem);
  }
}

/**
 * Where the walker found a pointer, in parts: `anchor -> entry N -> field -> block K`, every part after
 * the anchor optional (-1 or undefined). The walker makes one per pointer it follows and the block
 * table keeps its parts, not a Place: a million file arrays then keep no object each, only numbers
 * and references to the few places they share. The Place is made when an error or a reader asks.
 */
export class Site {
  constructor(
    readonly anchor: Place,
    readonly entry: number,
    readonly field: string | undefined,
    readonly block: number,
  ) {}

  static at(place: Place): Site {
    return new Site(place, -1, undefined, -1);
  }

  /** Block `index` of the chain this site's pointer starts. */
  inBlock(index: number): Site {
    return new Site(this.anchor, this.entry, this.field, index);
  }

  place(): Place {
    return placeOf(this.anchor, this.entry, this.field, this.block);
  }

  error(problem: string): ImageError {
    return this.place().error(problem);
  }

  toString(): string {
    return this.place().toString();
  }
}

export function placeOf(anchor: Place, entry: number, field: string | undefined, block: number): Place {
  let place = anchor;
  if (entry >= 0) place = place.entry(entry);
  if (field !== undefined) place = place.then(field);
  if (block >= 0) place = place.block(block);
  return place;
}

export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}
