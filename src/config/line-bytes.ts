// keepalived 2.2.7 reads a config with fgets into a 1024-byte buffer: a line
// of more than 1023 bytes is read as several lines of 1023 bytes, and a $NAME
// whose value would make the line 1024 bytes or more is left unexpanded.

export const MAX_LINE_BYTES = 1023;

/**
 * The pieces keepalived reads a physical line as, each padded with spaces to
 * the column it starts at (so positions stay those of the file); null when the
 * line fits. A cut inside a multi-byte character leaves U+FFFD on each side.
 */
export function linePieces(physical: string): string[] | null {
  const bytes = Buffer.from(physical, 'utf8');
  if (bytes.length <= MAX_LINE_BYTES) return null;
  const out: string[] = [];
  let column = 0;
  for (let b = 0; b < bytes.length; b += MAX_LINE_BYTES) {
    const piece = bytes.subarray(b, b + MAX_LINE_BYTES).toString('utf8');
    out.push(' '.repeat(column) + piece);
    column += piece.length;
  }
  return out;
}

/** Whether out + value (its first line, for a multi-line value) + text from end pass MAX_LINE_BYTES bytes. */
export function overLong(out: string, value: string, text: string, end: number): boolean {
  const nl = value.indexOf('\n');
  const first = nl < 0 ? value : value.slice(0, nl);
  // A character is at most 3 bytes (a surrogate pair, 2 characters, is 4).
  if ((out.length + first.length + text.length - end) * 3 <= MAX_LINE_BYTES) return false;
  return (
    Buffer.byteLength(out) + Buffer.byteLength(first) + Buffer.byteLength(text.slice(end)) > MAX_LINE_BYTES
  );
}
