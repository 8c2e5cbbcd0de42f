/** The one error the FDT reader and writer throw. */
export class FdtError extends Error {
  override readonly name = 'FdtError';
  constructor(
    /** What was being read or written: `header`, `structure block`, `/luo-session/compatible`. */
    readonly where: string,
    readonly detail: string,
    /** Byte offset in the blob, when the problem has one. */
    readonly offset?: number,
  ) {
    super(`FDT ${where}${offset === undefined ? '' : ` (offset ${offset})`}: ${detail}`);
  }
}
