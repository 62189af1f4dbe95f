// ~SEQ(var, start, step, end), ~SEQx(...) and ~LST(var|{a,b}, values...) lines.
import type { DiagnosticSink, Position } from './diagnostics.js';

export const LOOP_PREFIX = '~';
/** One ~SEQ may not expand past this; nested loops are bounded by the preprocessor's total. */
export const MAX_SEQ_COUNT = 1_000_000;

export interface LoopContext {
  at: Position;
  sink: DiagnosticSink;
  /** Called per iteration with one variable binding; return false to stop. */
  iterate(name: string, value: string, rest: string): boolean;
}

/** Splits "a, {b,c}, d" at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

function unbrace(s: string): string[] {
  return s.startsWith('{') && s.endsWith('}') ? splitArgs(s.slice(1, -1)) : [s];
}

function parseNumber(s: string): number | null {
  if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(s)) return null;
  const neg = s.startsWith('-');
  const v = Number(neg ? s.slice(1) : s);
  return neg ? -v : v;
}

export function expandLoop(body: string, ctx: LoopContext): void {
  const m = /^~(SEQx?|LST)\(/.exec(body);
  if (!m) {
    ctx.sink.warning(
      ctx.at,
      `unknown loop '${body.split(/\s/)[0]}': accepted are ~SEQ(...), ~SEQx(...), ~LST(...); the line is ignored`,
    );
    return;
  }
  let depth = 0;
  let close = -1;
  for (let i = m[0].length - 1; i < body.length; i++) {
    if (body[i] === '(') depth++;
    else if (body[i] === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) {
    ctx.sink.warning(ctx.at, `${m[1]} has no closing ')'`);
    return;
  }
  const args = splitArgs(body.slice(m[0].length, close));
  const rest = body.slice(close + 1).trim();
  if (m[1] === 'LST') expandList(args, rest, ctx);
  else expandSeq(m[1] === 'SEQx', args, rest, ctx);
}

function expandSeq(hex: boolean, args: string[], rest: string, ctx: LoopContext): void {
  const name = args[0] ?? '';
  const nums = args.slice(1).map(parseNumber);
  if (!/^[A-Za-z_]\w*$/.test(name) || nums.length < 1 || nums.length > 3 || nums.some((n) => n === null)) {
    ctx.sink.warning(
      ctx.at,
      `invalid ~SEQ(${args.join(', ')}): expected ~SEQ(VAR, [START,] [STEP,] END) with integers`,
    );
    return;
  }
  const n = nums as number[];
  const end = n[n.length - 1]!;
  const start = n.length >= 2 ? n[0]! : end >= 0 ? 1 : -1;
  const step = n.length === 3 ? n[1]! : end >= start ? 1 : -1;
  if (step === 0 || (step > 0 && start > end) || (step < 0 && start < end)) {
    if (step === 0) ctx.sink.warning(ctx.at, `~SEQ step is 0: the loop would never end`);
    return;
  }
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_SEQ_COUNT) {
    ctx.sink.error(ctx.at, `~SEQ would expand to ${count} lines: the limit is ${MAX_SEQ_COUNT}`);
    return;
  }
  for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
    if (!ctx.iterate(name, hex ? v.toString(16) : String(v), rest)) return;
  }
}

function expandList(args: string[], rest: string, ctx: LoopContext): void {
  if (args.length < 2) {
    ctx.sink.warning(ctx.at, `~LST needs a variable and at least one value`);
    return;
  }
  const names = unbrace(args[0]!);
  for (const group of args.slice(1)) {
    const values = unbrace(group);
    if (values.length !== names.length) {
      ctx.sink.warning(
        ctx.at,
        `~LST value ${group} does not give ${names.length} values for {${names.join(', ')}}`,
      );
      return;
    }
    // Bind every variable but the last directly; the last one drives the line.
    for (let k = 0; k < names.length - 1; k++) ctx.iterate(names[k]!, values[k]!, '');
    if (!ctx.iterate(names[names.length - 1]!, values[values.length - 1]!, rest)) return;
  }
}
