// Diagnostics carry file:line:column so an operator can jump to the spot.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  column: number;
  message: string;
  /** Set on the warning for a keyword floatlb parses but does not act on: the keyword. */
  unsupported?: string;
}

export interface Position {
  file: string;
  line: number;
  column: number;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}

/**
 * Collects diagnostics. Past the cap (per severity, so warnings cannot crowd
 * out errors) it only counts, so garbage input cannot flood memory.
 */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  private readonly counts = { error: 0, warning: 0 };
  private dropped = 0;
  constructor(private readonly cap = 1000) {}

  error(at: Position, message: string): void {
    this.add('error', at, message);
  }

  warning(at: Position, message: string): void {
    this.add('warning', at, message);
  }

  add(severity: Severity, at: Position, message: string, unsupported?: string): void {
    if (this.counts[severity] >= this.cap) {
      this.dropped++;
      return;
    }
    this.counts[severity]++;
    const d: Diagnostic = { severity, file: at.file, line: at.line, column: at.column, message };
    if (unsupported !== undefined) d.unsupported = unsupported;
    this.items.push(d);
  }

  /** A keyword floatlb parses but does not act on. */
  unsupported(at: Position, keyword: string, message: string): void {
    this.add('warning', at, message, keyword);
  }

  /** Diagnostics in file order (files in order of first mention), then line and column. */
  finish(): Diagnostic[] {
    const fileOrder = new Map<string, number>();
    for (const d of this.items) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
    this.items.sort(
      (a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.column - b.column,
    );
    if (this.dropped > 0) {
      const last = this.items[this.items.length - 1]!;
      this.items.push({
        ...last,
        severity: 'warning',
        message: `${this.dropped} more diagnostics not shown`,
      });
      this.dropped = 0;
    }
    return this.items;
  }
}
