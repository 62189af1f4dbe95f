// What the VRRP script host tests share: directors that hear no adverts (so
// each is master alone), an id-logging script in a safe and in an unsafe
// directory, and a wait for both directors' logs.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Netns } from '../../lab/netns.js';
import { nft, sleep } from './vrrp-lab.js';
import type { Director } from './vrrp-reload-lab.js';
import type { TempDir } from './vrrp-run-lab.js';

/** Each director hears no adverts, so each is master alone; its own still go out. */
export function deaf(...ns: Netns[]): void {
  for (const n of ns)
    nft(n, 'table inet vrdeaf { chain in { type filter hook input priority -300; ip protocol 112 drop; }\n}');
}

/**
 * S/id.sh (safe: root-owned, 0755 all the way up) and U/id.sh (U is 0777, no
 * sticky bit); both log to S/out/log, and exit 1 when the first argument is
 * "fail" (a failing track script).
 */
export function scripts(t: TempDir): { safe: string; unsafe: string; log: () => string[] } {
  chmodSync(t.dir, 0o755);
  const out = join(t.dir, 'out');
  mkdirSync(out, { mode: 0o777 });
  chmodSync(out, 0o777);
  // Root and nobody both append to it, whoever writes first.
  writeFileSync(join(out, 'log'), '', { mode: 0o666 });
  chmodSync(join(out, 'log'), 0o666);
  const safe = join(t.dir, 'id.sh');
  writeFileSync(safe, `#!/bin/sh\necho "$* uid=$(id -u) gid=$(id -g)" >> ${out}/log\n[ "$1" != fail ]\n`, {
    mode: 0o755,
  });
  const u = join(t.dir, 'unsafe');
  mkdirSync(u);
  chmodSync(u, 0o777);
  const unsafe = join(u, 'id.sh');
  copyFileSync(safe, unsafe);
  chmodSync(unsafe, 0o755);
  const log = () => {
    try {
      return readFileSync(join(out, 'log'), 'utf8').split('\n').filter(Boolean).sort();
    } catch {
      return [];
    }
  };
  return { safe, unsafe, log };
}

/** Waits until both logs hold n lines, then a little longer so a late (refused) script would show. */
export async function logs(
  a: () => string[],
  b: () => string[],
  n: number,
  ds: Director[],
): Promise<[string[], string[]]> {
  const end = Date.now() + 20_000;
  while (a().length < n || b().length < n) {
    if (Date.now() > end)
      throw new Error(
        `notify logs: ${JSON.stringify([a(), b()])}\n${ds
          .map((d) =>
            d
              .output(300)
              .split('\n')
              .filter((l) => /script|notify/i.test(l))
              .join('\n'),
          )
          .join('\n')}`,
      );
    await sleep(200);
  }
  await sleep(1500);
  return [a(), b()];
}
