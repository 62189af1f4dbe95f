// Builds the block tree from logical lines. A '{' opens a block for the
// statement before it (on the same line, or the line above, as keepalived
// allows); '}' closes it. Top-level blocks are handed on as soon as they are
// complete, so a large file never holds all of its tokens at once.
import type { DiagnosticSink, Position } from './diagnostics.js';
import { CLOSE, type LineBuffer, OPEN, QUOTED, Token } from './lexer.js';

export interface ConfigNode {
  name: Token;
  args: Token[];
  /** null for a plain statement; a list (maybe empty) when a block followed. */
  children: ConfigNode[] | null;
  /** Its line was cut at an unterminated '"': the words after it are lost. */
  cut?: boolean;
}

/** A statement is its own name token: one object per statement instead of two. */
class Node extends Token implements ConfigNode {
  children: ConfigNode[] | null = null;
  cut = false;
  constructor(
    buf: LineBuffer,
    k: number,
    readonly args: Token[],
  ) {
    super(buf.texts[k]!, buf.kinds[k] === QUOTED, buf.file, buf.line, buf.columns[k]!);
  }

  get name(): Token {
    return this;
  }
}

const MAX_NESTING = 64;

interface Frame {
  /** null for a block whose contents are dropped (it has no keyword): nothing of it is kept. */
  children: ConfigNode[] | null;
  open: Position | null;
  owner: string;
}

export class TreeBuilder {
  private readonly root: ConfigNode[] = [];
  private readonly stack: Frame[] = [{ children: this.root, open: null, owner: '' }];
  private previous: ConfigNode | null = null;
  /** Blocks opened past MAX_NESTING: counted, so their '}' match, but never held. */
  private overflow = 0;

  constructor(
    private readonly sink: DiagnosticSink,
    private readonly onTopLevel: (node: ConfigNode) => void,
  ) {}

  line(buf: LineBuffer): void {
    const stack = this.stack;
    const { kinds, length } = buf;
    let current: ConfigNode | null = null;
    for (let k = 0; k < length; k++) {
      const kind = kinds[k]!;
      if (kind === OPEN) {
        const at = { file: buf.file, line: buf.line, column: buf.columns[k]! };
        const prev = this.previous;
        const target = current ?? (prev && prev.children === null ? prev : null);
        if (stack.length > MAX_NESTING || this.overflow > 0) {
          // keepalived nests only known blocks, so this depth is unknown blocks in unknown
          // blocks: it warns about each and goes on; floatlb keeps none of it.
          if (this.overflow === 0)
            this.sink.warning(
              at,
              `blocks nested deeper than ${MAX_NESTING} levels: their contents are ignored`,
            );
          this.overflow++;
        } else if (!target) {
          this.sink.warning(
            at,
            `unexpected '{' with no keyword before it: its block is ignored, as keepalived does`,
          );
          stack.push({ children: null, open: at, owner: '' });
        } else {
          target.children = [];
          stack.push({ children: target.children, open: at, owner: target.name.text });
        }
        current = null;
        this.previous = null;
      } else if (kind === CLOSE) {
        if (this.overflow > 0) this.overflow--;
        else if (stack.length === 1) {
          this.sink.warning(
            { file: buf.file, line: buf.line, column: buf.columns[k]! },
            `extra '}' with no open block: ignored, as keepalived does`,
          );
        } else stack.pop();
        current = null;
        this.previous = null;
      } else {
        // A statement: its name and the words up to the next brace or the end of the line.
        if (stack.length === 1) this.flush();
        let end = k + 1;
        while (end < length && kinds[end]! < OPEN) end++;
        const args: Token[] = end === k + 1 ? [] : new Array<Token>(end - k - 1);
        for (let a = k + 1; a < end; a++) args[a - k - 1] = buf.token(a);
        current = new Node(buf, k, args);
        if (end === length && buf.cut) current.cut = true;
        // Statements past the nesting limit or in an ignored block are dropped with it.
        if (this.overflow === 0) stack[stack.length - 1]!.children?.push(current);
        k = end - 1;
      }
    }
    if (current) this.previous = current;
  }

  finish(): void {
    for (let i = this.stack.length - 1; i > 0; i--) {
      const frame = this.stack[i]!;
      // keepalived reports the missing '}' and keeps what the block held.
      this.sink.warning(
        frame.open!,
        `'{' of ${frame.owner || 'block'} is never closed: missing '}'; the block ends at the end of the file`,
      );
    }
    this.stack.length = 1;
    this.overflow = 0;
    this.flush();
  }

  private flush(): void {
    for (const n of this.root) this.onTopLevel(n);
    this.root.length = 0;
  }
}
