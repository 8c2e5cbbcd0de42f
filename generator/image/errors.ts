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

/**
 * Where the walker is, built up one step at a time and only turned into text when an error needs it,
 * so that a million entries cost a million small objects at most, not a million strings.
 */
export class Place {
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

export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}
