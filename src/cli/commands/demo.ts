// `floatlb demo`: the README's main command. Runs the seed-004 lab with
// narration and prints what it measured. It needs the source tree (the lab's
// servers and config) and reaches only the namespace part of the lab, never
// its VM launcher.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { type DemoSummary, runDemo } from '../../../lab/demo.js';
import { fmtShares } from '../../../lab/measure.js';
import { downOwned } from '../../../lab/runner.js';

// Three levels up from this file as source (src/cli/commands/) and as the
// bundle it runs in (dist/src/cli/main.js) alike.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const t0 = Date.now();
const say = (line: string) =>
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);

function printSummary(s: DemoSummary): void {
  const w = process.stdout;
  w.write('\nSummary\n');
  w.write(`  traffic split over ${s.splitRequests} requests:  ${fmtShares(s.split)} (weights 40/30/30)\n`);
  w.write(`  VIP move after the master was killed:   ${(s.vipMoveMs / 1000).toFixed(2)} s\n`);
  w.write(`  service gap seen by the client:         ${(s.gapMs / 1000).toFixed(2)} s\n`);
  w.write(`  failed requests (new connection/20 ms): ${s.failed} of ${s.attempts}\n`);
  w.write(`  served by the backup after failover:    ${fmtShares(s.afterFailover)}\n`);
  w.write(
    `  left behind:                            ${s.leftBehind.length ? s.leftBehind.join(', ') : 'nothing'}\n`,
  );
  w.write(`  total time:                             ${(s.totalMs / 1000).toFixed(1)} s\n`);
}

export const demoCommand: CommandModule = {
  command: 'demo',
  describe: 'Demo: traffic split, master killed, VIP moves (root)',
  handler: async () => {
    if (process.getuid?.() !== 0)
      throw new Error('the demo needs root (network namespaces); run it with sudo');
    if (!existsSync(join(ROOT, 'lab/servers/who-am-i.mjs')))
      throw new Error(`the demo runs from a floatlb source tree (npm run demo); ${ROOT} is not one`);
    const stop = () => {
      downOwned();
      process.exit(130);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const s = await runDemo(ROOT, say);
    printSummary(s);
    if (s.leftBehind.length || s.failed >= s.attempts) process.exitCode = 1;
  },
};
