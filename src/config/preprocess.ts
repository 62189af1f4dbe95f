// The line layer below the block parser: includes, $NAME definitions and
// substitution, @id conditional lines and ~SEQ/~LST loops. It emits the
// tokens of each logical line; positions point into the original files.
import { posix } from 'node:path';
import type { DiagnosticSink, Position } from './diagnostics.js';
import { expandBraces, globPath, hasWildcard } from './glob.js';
import { decomment, LexedLine, LineBuffer, lexPlainLine, tokenizeRange } from './lexer.js';
import { linePieces, MAX_LINE_BYTES } from './line-bytes.js';
import { expandLoop, LOOP_PREFIX } from './loops.js';
import { MAX_SUBST_DEPTH, Substituter } from './substitute.js';
import { append } from './values.js';

export interface SourceAccess {
  /** Returns the file's text; throws if it cannot be read. */
  readFile(path: string): string;
  /** Names in a directory, or null when it cannot be listed (wildcard includes need it). */
  listDir?(dir: string): string[] | null;
}

/** Config id that floatlb always matches, so `@floatlb` lines are floatlb-only. */
export const FLOATLB_CONFIG_ID = 'floatlb';

const MAX_INCLUDE_DEPTH = 32;
export { MAX_LINE_BYTES };
/** Logical lines all ~SEQ/~LST loops of a config may produce together (keepalived has no such bound). */
export const MAX_LOOP_LINES = 500_000;
const INCLUDE_RE = /^(include[rmwba]?)(?:\s+(.*))?$/;
const DEF_RE = /^\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
interface Frame {
  file: string;
  dir: string;
}

export class Preprocessor {
  private readonly defs = new Map<string, string>();
  private readonly stack: string[] = [];
  private pendingDef: { name: string; parts: string[] } | null = null;
  /** Lines emitted from inside loops, counted against MAX_LOOP_LINES. */
  private loopLines = 0;
  private loopDepth = 0;
  /** The outermost loop line being expanded: where the limit is reported. */
  private loopAt: Position | null = null;
  private loopLimitReported = false;
  /** Lines of multi-line definition values, split once per value rather than once per use. */
  private readonly splitCache = new Map<string, string[]>();
  /** Lines a loop produced, lexed once: most lines of a loop body are the same every round. */
  private readonly lexedCache = new Map<string, LexedLine>();
  private readonly buf = new LineBuffer();
  private readonly subst: Substituter;

  constructor(
    /** Receives each logical line's tokens as soon as it is read; the buffer is reused. */
    private readonly onLine: (tokens: LineBuffer) => void,
    private readonly access: SourceAccess,
    private readonly configId: string,
    private readonly sink: DiagnosticSink,
  ) {
    this.subst = new Substituter(this.defs, configId, sink);
  }

  processFile(path: string, from: Position | null): boolean {
    if (this.stack.includes(path)) {
      const chain = [...this.stack.slice(this.stack.indexOf(path)), path].join(' -> ');
      this.sink.error(from ?? { file: path, line: 1, column: 1 }, `include loop: ${chain}`);
      return false;
    }
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      this.sink.error(from!, `includes nested deeper than ${MAX_INCLUDE_DEPTH} files`);
      return false;
    }
    let text: string;
    try {
      text = this.access.readFile(path);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.sink.error(from ?? { file: path, line: 1, column: 1 }, `cannot read ${path}: ${why}`);
      return false;
    }
    this.stack.push(path);
    this.processText(text, path);
    this.stack.pop();
    return true;
  }

  /** The main file given as text: it takes part in include-loop detection like any other. */
  processMain(text: string, file: string): void {
    this.stack.push(file);
    this.processText(text, file);
    this.stack.pop();
  }

  processText(text: string, file: string): void {
    const frame: Frame = { file, dir: posix.dirname(file) };
    let line = 0;
    for (let start = 0; start <= text.length; ) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      line++;
      if (end - start > MAX_LINE_BYTES / 3 && this.longLine(text.slice(start, end), frame, line)) {
        start = end + 1;
        continue;
      }
      if (this.pendingDef || !this.plainLine(text, start, end, frame, line)) {
        this.slowLine(text.slice(start, end), frame, line);
      }
      start = end + 1;
    }
    if (this.pendingDef) {
      this.defs.set(this.pendingDef.name, this.pendingDef.parts.join('\n'));
      this.pendingDef = null;
    }
  }

  /**
   * A line of more than MAX_LINE_BYTES bytes goes on as keepalived reads it: in
   * pieces of that many bytes, each a line of its own (a comment or a quote does
   * not reach into the next piece). Each piece is padded to its column, so
   * positions stay those of the file. False when the line fits.
   */
  private longLine(physical: string, frame: Frame, line: number): boolean {
    const pieces = linePieces(physical);
    if (pieces === null) return false;
    for (const [k, padded] of pieces.entries()) {
      if (k > 0)
        this.sink.warning(
          { file: frame.file, line, column: padded.length - padded.trimStart().length + 1 },
          `line longer than ${MAX_LINE_BYTES} bytes: keepalived reads the rest, from here, as a new line, and so does floatlb`,
        );
      if (this.pendingDef || !this.plainLine(padded, 0, padded.length, frame, line))
        this.slowLine(padded, frame, line);
    }
    return true;
  }

  private slowLine(physical: string, frame: Frame, line: number): void {
    const raw = decomment(physical);
    const def = this.pendingDef;
    if (!def) {
      this.processLine(raw, frame, line, 0, true);
      return;
    }
    // As in keepalived, a comment-only line inside a multi-line definition is
    // skipped and the definition goes on; an empty line ends it.
    if (raw.trim() === '' && physical.trim() !== '') return;
    const trimmed = raw.trim();
    const more = trimmed.endsWith('\\');
    def.parts.push(more ? trimmed.slice(0, -1).trim() : trimmed);
    if (!more) {
      this.defs.set(def.name, def.parts.filter((p) => p !== '').join('\n'));
      this.pendingDef = null;
    }
  }

  /** The common line, lexed in place; false, having emitted nothing, when it needs the long way. */
  private plainLine(text: string, start: number, end: number, frame: Frame, line: number): boolean {
    const buf = this.buf;
    buf.start(frame.file, line);
    if (!lexPlainLine(text, start, end, buf)) return false;
    if (buf.length > 0) this.onLine(buf);
    return true;
  }

  /** chain: the definitions being expanded on the way to this line, so a cycle is caught at once. */
  private processLine(
    text: string,
    frame: Frame,
    line: number,
    depth: number,
    physical: boolean,
    chain: readonly string[] = [],
    /** A line of a multi-line definition's value, unchanged: a loop yields it again each round. */
    repeated = false,
  ): void {
    let body = text.trim();
    if (body === '') return;
    const at = { file: frame.file, line, column: text.indexOf(body[0]!) + 1 };
    if (depth > MAX_SUBST_DEPTH) {
      this.sink.error(at, `parameter substitution nested deeper than ${MAX_SUBST_DEPTH} levels`);
      return;
    }
    if (body.charCodeAt(0) === 64 /* @ */) {
      const space = body.search(/\s/);
      const word = space < 0 ? body.slice(1) : body.slice(1, space);
      const negated = word.startsWith('^');
      const id = negated ? word.slice(1) : word;
      const matches = id === this.configId || id === FLOATLB_CONFIG_ID;
      if (matches === negated) return;
      body = space < 0 ? '' : body.slice(space).trim();
      if (body === '') return;
    }
    if (body.charCodeAt(0) === 36 /* $ */) {
      const def = DEF_RE.exec(body);
      if (def) {
        const value = def[2]!.trim();
        if (physical && value.endsWith('\\')) {
          const first = value.slice(0, -1).trim();
          this.pendingDef = { name: def[1]!, parts: first ? [first] : [] };
        } else this.defs.set(def[1]!, value);
        return;
      }
    }
    if (body.startsWith(LOOP_PREFIX)) {
      if (this.loopLimitReported) return;
      body = this.subst.loopArgs(body, frame.dir, at);
      if (this.loopDepth++ === 0) this.loopAt = at;
      try {
        expandLoop(body, {
          at,
          sink: this.sink,
          iterate: (name, value, rest) => {
            this.defs.set(name, value);
            this.processLine(rest, frame, line, depth + 1, false, chain);
            return !this.loopLimitReported;
          },
        });
      } finally {
        this.loopDepth--;
      }
      return;
    }
    if (body.includes('$')) {
      const used: string[] = [];
      const replaced = this.subst.substitute(body, frame.dir, at, chain, used);
      if (replaced === null) return;
      if (this.subst.capped) {
        // keepalived stops substituting this line and reads it as it now stands.
        for (const part of replaced.split('\n')) {
          const trimmed = part.trim();
          if (trimmed) this.emit(trimmed, frame, line, at.column - 1);
        }
        return;
      }
      if (replaced !== body) {
        const next = used.length ? [...chain, ...used] : chain;
        if (!replaced.includes('\n')) this.processLine(replaced, frame, line, depth + 1, false, next);
        else
          for (const part of this.lines(replaced))
            this.processLine(part, frame, line, depth + 1, false, next, true);
        return;
      }
    }
    this.emit(body, frame, line, at.column - 1, repeated);
  }

  /** The lines of a substituted multi-line value; a loop body repeats the same ones. */
  private lines(text: string): string[] {
    let parts = this.splitCache.get(text);
    if (!parts) {
      parts = text.split('\n');
      if (this.splitCache.size > 1000) this.splitCache.clear();
      this.splitCache.set(text, parts);
    }
    return parts;
  }

  private emit(body: string, frame: Frame, line: number, indent: number, repeated = false): void {
    if (this.loopDepth > 0 && ++this.loopLines > MAX_LOOP_LINES) {
      if (!this.loopLimitReported)
        this.sink.error(
          this.loopAt!,
          `~SEQ/~LST loops expand to more than ${MAX_LOOP_LINES} lines: expansion stopped there`,
        );
      this.loopLimitReported = true;
      return;
    }
    const inc = INCLUDE_RE.exec(body);
    if (inc) {
      // Taken raw: braces in the pattern are alternatives, not blocks, and quotes are
      // part of the name (keepalived 2.2.7 looks for a file called "x.conf" with its quotes).
      const at = { file: frame.file, line, column: indent + 1 };
      this.include(inc[1]!, (inc[2] ?? '').trim(), frame, at);
      return;
    }
    this.tokenize(body, 0, body.length, frame.file, line, indent, repeated && this.loopDepth > 0);
  }

  private tokenize(
    text: string,
    start: number,
    end: number,
    file: string,
    line: number,
    indent: number,
    reuse = false,
  ): void {
    const buf = this.buf;
    const known = reuse ? this.lexedCache.get(text) : undefined;
    let err: string | null;
    if (known?.matches(file, line, indent)) {
      known.replay(buf, file, line);
      err = known.error;
    } else {
      buf.start(file, line);
      err = tokenizeRange(text, start, end, indent, buf);
      if (reuse) {
        if (this.lexedCache.size >= 4096) this.lexedCache.clear();
        const lexed = new LexedLine(buf, indent, err);
        this.lexedCache.set(text, lexed);
        buf.tokens = lexed.tokens;
      }
    }
    // keepalived reports an unterminated quote and goes on (what it keeps: see tokenizeRange).
    if (err) this.sink.warning({ file, line, column: buf.errorColumn || indent + 1 }, err);
    if (buf.length > 0) this.onLine(buf);
  }

  private include(kind: string, pattern: string, frame: Frame, at: Position): void {
    if (pattern === '') {
      // keepalived takes a bare include for an unknown keyword and goes on.
      this.sink.warning(at, `${kind} needs a file name: ignored, as keepalived does`);
      return;
    }
    const abs = pattern.startsWith('/') ? pattern : posix.join(frame.dir, pattern);
    const alternatives = expandBraces(abs);
    const files: string[] = [];
    for (const alt of alternatives) {
      const found = this.access.listDir
        ? globPath(alt, (d) => this.access.listDir!(d))
        : hasWildcard(alt)
          ? []
          : [alt];
      append(files, hasWildcard(alt) ? found : [alt]);
    }
    const readable = files.filter((f) => this.exists(f));
    if (readable.length === 0) {
      // What keepalived 2.2.7 refuses when nothing matches (it then does not
      // start): includea always; includeb for a brace pattern; includem and
      // includew for a pattern without braces. Plain include and includer go on.
      const brace = alternatives.length > 1;
      const refuse =
        kind === 'includea' ||
        (kind === 'includeb' && brace) ||
        ((kind === 'includem' || kind === 'includew') && !brace);
      if (refuse) this.sink.error(at, `${kind}: no configuration file matches ${pattern}`);
      else this.sink.warning(at, `${kind}: no configuration file matches ${pattern}: nothing included`);
      return;
    }
    for (const f of files) {
      if (!this.exists(f)) {
        if (kind === 'includea') this.sink.error(at, `${kind}: cannot read ${f}`);
        else this.sink.warning(at, `${kind}: cannot read ${f}: skipped`);
        continue;
      }
      this.processFile(f, at);
    }
  }

  private exists(path: string): boolean {
    if (this.stack.includes(path)) return true;
    try {
      this.access.readFile(path);
      return true;
    } catch {
      return false;
    }
  }
}
