// Builds the block tree from logical lines. A '{' opens a block for the
// statement before it (on the same line, or the line above, as keepalived
// allows); '}' closes it.
import type { DiagnosticSink } from './diagnostics.js';
import type { Token } from './lexer.js';

export interface ConfigNode {
  name: Token;
  args: Token[];
  /** null for a plain statement; a list (maybe empty) when a block followed. */
  children: ConfigNode[] | null;
}

const MAX_NESTING = 64;

export function buildTree(lines: Token[][], sink: DiagnosticSink): ConfigNode[] {
  const root: ConfigNode[] = [];
  const stack: { children: ConfigNode[]; open: Token | null; owner: string }[] = [
    { children: root, open: null, owner: '' },
  ];
  let previous: ConfigNode | null = null;
  for (const line of lines) {
    let current: ConfigNode | null = null;
    for (const tok of line) {
      const top = stack[stack.length - 1]!;
      if (!tok.quoted && tok.text === '{') {
        const target = current ?? (previous && previous.children === null ? previous : null);
        if (stack.length > MAX_NESTING) {
          sink.error(tok, `blocks nested deeper than ${MAX_NESTING} levels`);
          stack.push({ children: [], open: tok, owner: '' });
        } else if (!target) {
          sink.error(tok, `unexpected '{' with no keyword before it`);
          stack.push({ children: [], open: tok, owner: '' });
        } else {
          target.children = [];
          stack.push({ children: target.children, open: tok, owner: target.name.text });
        }
        current = null;
        previous = null;
      } else if (!tok.quoted && tok.text === '}') {
        if (stack.length === 1) sink.error(tok, `extra '}' with no open block`);
        else stack.pop();
        current = null;
        previous = null;
      } else if (current) current.args.push(tok);
      else {
        current = { name: tok, args: [], children: null };
        top.children.push(current);
      }
    }
    if (current) previous = current;
  }
  for (let i = stack.length - 1; i > 0; i--) {
    const frame = stack[i]!;
    sink.error(frame.open!, `'{' of ${frame.owner || 'block'} is never closed: missing '}'`);
  }
  return root;
}
