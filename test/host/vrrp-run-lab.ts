// The set-up the `floatlb run` VRRP feature tests share: the LAN of
// vrrp-lab.ts, temporary directories, floatlb and keepalived started on a
// keepalived.conf, a sampler of both directors' VIPs, and one afterEach that
// undoes it all in reverse order. Call runLab() at the top of a test file.
import { afterEach } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { type Lan, lan } from './vrrp-lab.js';
import { type Director, Sampler, startFloatlbRun, startKeepalivedRun, tempDir } from './vrrp-reload-lab.js';

export type TempDir = ReturnType<typeof tempDir>;

export interface RunLab {
  /** A fresh LAN (d1, d2, client on one bridge), destroyed after the test. */
  lan(): Promise<Lan>;
  /** Runs fn after the test, before the LAN goes (last registered, first run). */
  defer(fn: () => Promise<void> | void): void;
  tempDir(): TempDir;
  /** `floatlb run -f` on the config text, in its own directory. */
  floatlb(ns: Netns, conf: string, name?: string): Director & { conf: string };
  /** keepalived --vrrp on the config text, in its own directory. */
  keepalived(ns: Netns, conf: string, name?: string): Director & { conf: string };
  sampler(subject: Netns, peer: Netns): Sampler;
}

export function runLab(): RunLab {
  let net: Lan | null = null;
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    net?.destroy();
    net = null;
  });
  const dir = (): TempDir => {
    const t = tempDir();
    cleanups.push(() => t.remove());
    return t;
  };
  const start =
    (run: typeof startFloatlbRun) =>
    (ns: Netns, text: string, name = 'keepalived.conf'): Director & { conf: string } => {
      const t = dir();
      const conf = t.write(name, text);
      const d = run(ns, conf, t.dir);
      cleanups.push(() => d.stop());
      return Object.assign(d, { conf });
    };
  return {
    lan: async () => {
      net = await lan();
      return net;
    },
    defer: (fn) => cleanups.push(fn),
    tempDir: dir,
    floatlb: start(startFloatlbRun),
    keepalived: start(startKeepalivedRun),
    sampler: (subject, peer) => {
      const s = new Sampler(subject, peer);
      cleanups.push(() => s.close());
      return s;
    },
  };
}
