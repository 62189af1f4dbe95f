// Diagnostics carry file:line:column so an operator can jump to the spot.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface Position {
  file: string;
  line: number;
  column: number;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}

/** Collects diagnostics; past the cap it stops recording so garbage input cannot flood memory. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  private dropped = 0;
  constructor(private readonly cap = 1000) {}

  error(at: Position, message: string): void {
    this.add('error', at, message);
  }

  warning(at: Position, message: string): void {
    this.add('warning', at, message);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error') || this.dropped > 0;
  }

  add(severity: Severity, at: Position, message: string): void {
    if (this.items.length >= this.cap) {
      this.dropped++;
      return;
    }
    this.items.push({ severity, file: at.file, line: at.line, column: at.column, message });
  }

  finish(): Diagnostic[] {
    if (this.dropped > 0) {
      const last = this.items[this.items.length - 1]!;
      this.items.push({ ...last, severity: 'error', message: `${this.dropped} more diagnostics not shown` });
      this.dropped = 0;
    }
    return this.items;
  }
}
