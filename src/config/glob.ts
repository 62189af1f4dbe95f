// Include patterns: csh-style brace expansion, then *, ? and [...] per path
// segment. Node 20 has no fs.glob, and includes need only this much.
import { posix } from 'node:path';

const MAX_EXPANSIONS = 4096;

/** Expands "{a,b{c,d}}" alternatives; unbalanced braces are left literal. */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) return [pattern];
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const alt = pattern.slice(bounds[k]! + 1, bounds[k + 1]!);
    for (const e of expandBraces(head + alt + tail)) {
      out.push(e);
      if (out.length >= MAX_EXPANSIONS) return out;
    }
  }
  return out;
}

export function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}

function segmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

/** Matches an absolute pattern (no braces) against the tree; results sorted like glob(3). */
export function globPath(pattern: string, listDir: (dir: string) => string[] | null): string[] {
  if (!hasWildcard(pattern)) return [pattern];
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let bases = [segs[0] === '' ? '/' : '.'];
  for (let i = segs[0] === '' ? 1 : 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const next: string[] = [];
    if (!hasWildcard(seg)) {
      for (const b of bases) next.push(posix.join(b, seg));
    } else {
      const re = segmentRegex(seg);
      for (const b of bases) {
        const names = listDir(b);
        if (!names) continue;
        for (const name of names.sort()) {
          if (name.startsWith('.') && !seg.startsWith('.')) continue;
          if (re.test(name)) next.push(posix.join(b, name));
        }
      }
    }
    bases = next;
    if (bases.length === 0) break;
  }
  return bases;
}
