// Builds the block tree from logical lines. A '{' opens a block for the
// statement before it (on the same line, or the line above, as keepalived
// allows) when keepalived opens one for that keyword there; '}' closes it.
// Top-level blocks are handed on as soon as they are complete, so a large
// file never holds all of its tokens at once.
import { CHECKER_BLOCKS, KEYWORD_ROWS, keywordRow } from './compat.js';
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

/**
 * keywords: a block of keywords of `context`; values: a block keepalived reads
 * as values; held: a block keepalived would not open (a keyword that takes
 * none, or no keyword), kept whole and read as before (warned by the reader).
 */
type FrameKind = 'keywords' | 'values' | 'held';

interface Frame {
  /** null for a block whose contents are dropped (it has no keyword): nothing of it is kept. */
  children: ConfigNode[] | null;
  open: Position | null;
  owner: string;
  kind: FrameKind;
  /** The keyword table's context of a keywords block's statements. */
  context: string;
}

const MAX_NESTING = 64;

/** Blocks whose statements are keywords of their own context in the table. */
const CONTEXTS = new Set(KEYWORD_ROWS.map((r) => r[0]));
/**
 * Keywords whose block keepalived reads as values (alloc_value_block in its
 * sources): it nests nothing, and the first '}' ends it. At the top level,
 * track_file is vrrp_track_file's block of keywords instead.
 */
const VALUE_BLOCKS = new Set([
  'group',
  'interface_up_down_delays',
  'interfaces',
  'linkbeat_interfaces',
  'notification_email',
  'static_ipaddress',
  'static_routes',
  'static_rules',
  'track_bfd',
  'track_file',
  'track_interface',
  'track_process',
  'track_script',
  'unicast_peer',
  'virtual_ipaddress',
  'virtual_ipaddress_excluded',
  'virtual_routes',
  'virtual_rules',
  'virtual_server_group',
]);

/** Whether keepalived knows this keyword in this block (if not, it skips a '{' after it). */
function knownIn(context: string, keyword: string): boolean {
  // floatlb's role_probe holds one checker block
  if (context === 'role_probe') return CHECKER_BLOCKS.has(keyword);
  return keywordRow(context, keyword) !== undefined;
}

/** What block a known keyword opens here. */
function opens(context: string, keyword: string): { kind: FrameKind; context: string } {
  if (VALUE_BLOCKS.has(keyword) && (context !== 'top' || !CONTEXTS.has(keyword)))
    return { kind: 'values', context: '' };
  if (context === 'SMTP_CHECK' && keyword === 'host') return { kind: 'keywords', context: 'SMTP_CHECK host' };
  if (CONTEXTS.has(keyword) || CHECKER_BLOCKS.has(keyword) || keyword === 'role_probe')
    return { kind: 'keywords', context: keyword };
  return { kind: 'held', context: '' };
}

export class TreeBuilder {
  private readonly root: ConfigNode[] = [];
  private readonly stack: Frame[] = [
    { children: this.root, open: null, owner: '', kind: 'keywords', context: 'top' },
  ];
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
        const frame = stack[stack.length - 1]!;
        if (stack.length > MAX_NESTING || this.overflow > 0) {
          // only held blocks nest this deep: keepalived warns about each and goes on;
          // floatlb keeps none of it.
          if (this.overflow === 0)
            this.sink.warning(
              at,
              `blocks nested deeper than ${MAX_NESTING} levels: their contents are ignored`,
            );
          this.overflow++;
        } else if (frame.kind === 'values') {
          this.sink.warning(
            at,
            `'{' inside the block of values of ${frame.owner} is read as a value by keepalived, ` +
              `not as a block: the block ends at the next '}'`,
          );
        } else if (frame.kind === 'keywords' && (!target || !knownIn(frame.context, target.name.text))) {
          this.skip(at, frame, target);
        } else if (!target) {
          this.sink.warning(
            at,
            `unexpected '{' with no keyword before it: its block is ignored, as keepalived does`,
          );
          stack.push({ children: null, open: at, owner: '', kind: 'held', context: '' });
        } else {
          const b: { kind: FrameKind; context: string } =
            frame.kind === 'keywords'
              ? opens(frame.context, target.name.text)
              : { kind: 'held', context: '' };
          target.children = [];
          stack.push({ children: target.children, open: at, owner: target.name.text, ...b });
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

  /**
   * keepalived opens no block after a keyword it does not know there, nor for
   * a '{' with no keyword before it: it skips the brace and reads the lines
   * after it as part of the enclosing block, so the '}' meant for them closes
   * the enclosing block.
   */
  private skip(at: Position, frame: Frame, target: ConfigNode | null): void {
    const rest =
      frame.context === 'top'
        ? 'the lines after it are read at the top level'
        : `the lines after it belong to ${frame.owner}, and the '}' meant for them closes ${frame.owner}`;
    const what = target ? `'{' after unknown keyword '${target.name.text}'` : `'{' with no keyword before it`;
    this.sink.warning(at, `${what} is ignored, as keepalived does: ${rest}`);
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
