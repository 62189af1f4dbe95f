// FILE_CHECK: the leading integer of a file decides, as keepalived's
// track_file does for a real server. With weight 0, a non-zero value is a
// failure (with reverse, zero is). Otherwise the server stays up and
// value x weight (negated with reverse) is added to its weight. A missing
// or unreadable file reads as 0, as in keepalived.
import { readFile } from 'node:fs/promises';
import type { BoundCheck, FileCheck, ProbeResult } from '../types.js';
import { stopwatch } from './common.js';

/** The number at the start of the text (decimal, 0x hex or 0 octal, as strtol base 0); 0 otherwise. */
export function parseFileValue(text: string | null): number {
  if (text === null) return 0;
  const m = /^\s*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(text);
  if (!m) return 0;
  const digits = m[2]!;
  const n = /^0[xX]/.test(digits)
    ? Number.parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits.startsWith('0')
      ? Number.parseInt(digits, 8)
      : Number(digits);
  return m[1] === '-' ? -n : n;
}

/** The verdict for one value (pure). */
export function judgeFileValue(
  value: number,
  weight: number,
  reverse: boolean,
): { ok: boolean; weightDelta?: number } {
  if (weight === 0) return { ok: reverse ? value !== 0 : value === 0 };
  const delta = value * weight * (reverse ? -1 : 1);
  return { ok: true, weightDelta: delta + 0 };
}

export async function probeFile(spec: FileCheck & BoundCheck, _signal: AbortSignal): Promise<ProbeResult> {
  const sw = stopwatch();
  const text = await readFile(spec.path, 'utf8').catch(() => null);
  const value = parseFileValue(text);
  const j = judgeFileValue(value, spec.weight, spec.reverse ?? false);
  if (!j.ok) return sw.fail(`file ${spec.path} reads ${value}`);
  return sw.ok(j.weightDelta === undefined ? {} : { weightDelta: j.weightDelta });
}
