// Builds the block tree from logical lines. A '{' opens a block for the
// statement before it (on the same line, or the line above, as keepalived
// allows); '}' closes it. Top-level blocks are handed on as soon as they are
// complete, so a large file never holds all of its tokens at once.
import type { DiagnosticSink } from './diagnostics.js';
import type { Token } from './lexer.js';

export interface ConfigNode {
  name: Token;
  args: Token[];
  /** null for a plain statement; a list (maybe empty) when a block followed. */
  children: ConfigNode[] | null;
}

const MAX_NESTING = 64;

interface Frame {
  children: ConfigNode[];
  open: Token | null;
  owner: string;
}

export class TreeBuilder {
  private readonly root: ConfigNode[] = [];
  private readonly stack: Frame[] = [{ children: this.root, open: null, owner: '' }];
  private previous: ConfigNode | null = null;

  constructor(
    private readonly sink: DiagnosticSink,
    private readonly onTopLevel: (node: ConfigNode) => void,
  ) {}

  line(tokens: Token[]): void {
    const stack = this.stack;
    let current: ConfigNode | null = null;
    for (const tok of tokens) {
      const top = stack[stack.length - 1]!;
      if (!tok.quoted && tok.text === '{') {
        const prev = this.previous;
        const target = current ?? (prev && prev.children === null ? prev : null);
        if (stack.length > MAX_NESTING) {
          this.sink.error(tok, `blocks nested deeper than ${MAX_NESTING} levels`);
          stack.push({ children: [], open: tok, owner: '' });
        } else if (!target) {
          this.sink.error(tok, `unexpected '{' with no keyword before it`);
          stack.push({ children: [], open: tok, owner: '' });
        } else {
          target.children = [];
          stack.push({ children: target.children, open: tok, owner: target.name.text });
        }
        current = null;
        this.previous = null;
      } else if (!tok.quoted && tok.text === '}') {
        if (stack.length === 1) this.sink.error(tok, `extra '}' with no open block`);
        else stack.pop();
        current = null;
        this.previous = null;
      } else if (current) current.args.push(tok);
      else {
        // A new top-level statement means the one before it is complete.
        if (stack.length === 1) this.flush();
        current = { name: tok, args: [], children: null };
        top.children.push(current);
      }
    }
    if (current) this.previous = current;
  }

  finish(): void {
    for (let i = this.stack.length - 1; i > 0; i--) {
      const frame = this.stack[i]!;
      this.sink.error(frame.open!, `'{' of ${frame.owner || 'block'} is never closed: missing '}'`);
    }
    this.stack.length = 1;
    this.flush();
  }

  private flush(): void {
    for (const n of this.root) this.onTopLevel(n);
    this.root.length = 0;
  }
}

/** The whole tree at once, for callers that want it. */
export function buildTree(lines: Token[][], sink: DiagnosticSink): ConfigNode[] {
  const out: ConfigNode[] = [];
  const b = new TreeBuilder(sink, (n) => out.push(n));
  for (const l of lines) b.line(l);
  b.finish();
  return out;
}
