// A child process whose output lines are kept with the monotonic time they
// arrived, for tests that wait on what a daemon logs.
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface Line {
  readonly at: number;
  readonly text: string;
}

/** A child process whose output lines are kept with the monotonic time they arrived. */
export class LineProcess {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  private waiters: Array<() => void> = [];

  constructor(child: ChildProcess) {
    this.child = child;
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const text of parts) this.lines.push({ at: performance.now(), text });
      for (const w of this.waiters.splice(0)) w();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }

  /** Resolves with the first line (at or after index `from`) that matches. */
  async waitLine(re: RegExp, timeoutMs: number, from = 0): Promise<Line> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => re.test(l.text));
      if (hit) return hit;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${this.tail()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => l.text)
      .join('\n');
  }

  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((r) => this.child.once('exit', () => r()));
  }
}
