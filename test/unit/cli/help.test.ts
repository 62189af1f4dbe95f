// `floatlb --help` and each command's help wrap at word boundaries at any
// width, and each command's summary fits on one line at the default width.
// Runs the built bundle, as a user would.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configCommand } from '../../../src/cli/commands/config.js';
import { controlCommands } from '../../../src/cli/commands/control.js';
import { ipvsCommand } from '../../../src/cli/commands/ipvs.js';
import { nftCommand } from '../../../src/cli/commands/nft.js';
import { runCommand } from '../../../src/cli/commands/run.js';
import { REPO_ROOT } from '../../support/root.js';

const BUNDLE = join(REPO_ROOT, 'dist/src/cli/main.js');
// The top level and the commands with the longest lines (the others share their options block).
const SCREENS = [[], ['config', 'check'], ['ipvs'], ['run'], ['rs'], ['nft']];
const WIDTHS = [60, 80, 110];
const SUMMARIES = [configCommand, ipvsCommand, runCommand, ...controlCommands, nftCommand].map((c) =>
  String(c.describe),
);

function help(args: string[], width?: number): Promise<string> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  const env = { ...process.env };
  delete env.COLUMNS;
  if (width) env.COLUMNS = String(width);
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [BUNDLE, ...args, '--help'], { env, encoding: 'utf8' }, (err, out) =>
      err ? reject(err) : resolve(out),
    ),
  );
}

// Split at white space, and before a bracket: cliui can set an option's
// right-aligned [type] flush against the end of its description's last line.
const words = (text: string) => text.split(/\s+|(?=\[)/).filter(Boolean);
const key = (args: string[], width?: number) => `${args.join(' ')}@${width ?? 'default'}`;
const shown = new Map<string, string>();

describe('floatlb --help', () => {
  // Every screen at every width, concurrently: each run is a node start-up.
  beforeAll(async () => {
    const runs: Array<[string[], number | undefined]> = [
      [[], undefined],
      ...SCREENS.flatMap((a) => WIDTHS.map((w): [string[], number] => [a, w])),
    ];
    const outs = await Promise.all(runs.map(([a, w]) => help(a, w)));
    for (const [i, [a, w]] of runs.entries()) shown.set(key(a, w), outs[i]!);
  }, 120_000);

  it.each(WIDTHS)('at %i columns splits none of the words of the command summaries', (width) => {
    const seen = new Set(words(shown.get(key([], width))!));
    for (const s of SUMMARIES)
      expect(
        words(s).filter((w) => !seen.has(w)),
        s,
      ).toEqual([]);
  });

  it.each(
    WIDTHS.slice(0, -1),
  )('at %i columns shows every help screen with the words it has at 110', (width) => {
    for (const args of SCREENS) {
      const full = words(shown.get(key(args, 110))!).sort();
      expect(words(shown.get(key(args, width))!).sort(), `floatlb ${args.join(' ')} --help`).toEqual(full);
    }
  });

  it('shows each command summary on one line at the default width (100 columns when not a terminal)', () => {
    const lines = shown.get(key([]))!.split('\n');
    for (const s of SUMMARIES)
      expect(
        lines.some((l) => l.includes(s)),
        s,
      ).toBe(true);
  });
});
