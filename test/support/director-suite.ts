// The director's behaviour on a real data plane, written once and run on
// both: IPVS in the lab VM (test/kernel) and nftables on the host
// (test/host). The director is the real `floatlb run` process.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDirectorLab,
  type DirectorLab,
  echoConnection,
  httpFrom,
  serverIp,
  VIP,
} from './director-lab.js';

const execFileP = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const DELAY_LOOP_S = 1;
const CONNECT_TIMEOUT_S = 1;

function config(weights: [number, number], extra = ''): string {
  const rs = (i: number, port: number, check: boolean) => `
  real_server ${serverIp(i)} ${port} {
    weight ${port === 80 ? weights[i] : 1}
${check ? `    TCP_CHECK {\n      connect_timeout ${CONNECT_TIMEOUT_S}\n      retry 0\n    }\n` : ''}  }`;
  return `global_defs {
  router_id director-suite
}
virtual_server ${VIP} 80 {
  delay_loop ${DELAY_LOOP_S}
  lb_algo wrr
  lb_kind NAT
  protocol TCP
${rs(0, 80, true)}
${rs(1, 80, true)}
}
virtual_server ${VIP} 9000 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
${rs(0, 9000, false)}
${rs(1, 9000, false)}
}
${extra}`;
}

/** The director's last log lines, for a timeout's message. */
let lastLog: () => string = () => '';

async function waitFor<T>(
  what: string,
  fn: () => T | null | undefined | false,
  timeoutMs = 120_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; the director's log ends:\n${lastLog()}`);
    await sleep(20);
  }
}

async function status(
  lab: DirectorLab,
): Promise<{ pools: Array<{ id: string; members: Array<{ node: string; weight: number | null }> }> }> {
  const { stdout } = await execFileP(process.execPath, [
    join(ROOT, 'dist/src/cli/main.js'),
    'status',
    '--json',
    '--api-socket',
    join(lab.dir, 'api.sock'),
  ]);
  return JSON.parse(stdout);
}

async function split(lab: DirectorLab, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const who = (await httpFrom(lab.client, `http://${VIP}:80`)) ?? 'failed';
    seen.set(who, (seen.get(who) ?? 0) + 1);
  }
  return seen;
}

const opsLogged = (lab: DirectorLab, from: number) =>
  lab.log
    .slice(from)
    .filter((l) => l.msg === 'applied')
    .map((l) => String(l.op));

export function directorSuite(plane: 'ipvs' | 'nftables'): void {
  describe(`director on the ${plane} plane`, () => {
    let lab: DirectorLab;

    beforeAll(async () => {
      lab = await buildDirectorLab(plane, 2);
      lastLog = () =>
        lab.log
          .slice(-12)
          .map((l) => JSON.stringify(l))
          .join('\n');
      lab.startBackend(0);
      lab.startBackend(1);
      lab.writeConfig(config([1, 1]));
      await lab.startDirector();
      const s = await split(lab, 20);
      expect(s.get('rs0')).toBeGreaterThan(0);
      expect(s.get('rs1')).toBeGreaterThan(0);
    });

    afterAll(() => lab?.cleanup());

    it('takes a stopped server out within fall x delay_loop + connect_timeout, and back after it returns', async () => {
      const results: Array<{ t: number; who: string | null }> = [];
      let running = true;
      let rs1Stopped = false;
      const loop = (async () => {
        while (running) {
          results.push({ t: Date.now(), who: await httpFrom(lab.client, `http://${VIP}:80`, 1000) });
          await sleep(20);
        }
      })();
      try {
        const logMark = lab.log.length;
        await sleep(300);
        const stoppedAt = Date.now();
        lab.stopBackend(1);
        rs1Stopped = true;
        const detected = await waitFor('rs1 marked down', () =>
          lab.log
            .slice(logMark)
            .find(
              (l) => l.msg === 'health changed' && l.up === false && String(l.target).includes(serverIp(1)),
            ),
        );
        const applied = await waitFor('rs1 removed from the data plane', () =>
          lab.log
            .slice(logMark)
            .find(
              (l) =>
                l.msg === 'applied' &&
                String(l.op).startsWith('delete-dest') &&
                String(l.op).includes(`${serverIp(1)}:80`),
            ),
        );
        const detectMs = Number(detected.time) - stoppedAt;
        // Order, not wall time (speed belongs in bench/): the checker saw the
        // stop, and the removal followed its verdict.
        expect(detectMs).toBeGreaterThanOrEqual(0);
        expect(Number(applied.time)).toBeGreaterThanOrEqual(Number(detected.time));
        // Counted, not timed: under the VM's emulation a request can take a while.
        const afterRemoval = () => results.filter((r) => r.t > Number(applied.time) + 100);
        await waitFor('ten requests after the removal', () => afterRemoval().length >= 10);
        expect(afterRemoval().filter((r) => r.who !== 'rs0')).toEqual([]);

        lab.startBackend(1);
        rs1Stopped = false;
        const restartedAt = await lab.backendListening(1);
        const back = await waitFor('rs1 marked up', () =>
          lab.log
            .slice(logMark)
            .find(
              (l) => l.msg === 'health changed' && l.up === true && String(l.target).includes(serverIp(1)),
            ),
        );
        await waitFor('rs1 answering again', () =>
          results.some((r) => r.t > Number(back.time) && r.who === 'rs1'),
        );
        process.stdout.write(
          `[${plane}] detection ${detectMs} ms, removal applied ${Number(applied.time) - stoppedAt} ms after stop, ` +
            `recovery ${Number(back.time) - restartedAt} ms after start\n`,
        );
      } finally {
        // Also on a failed assertion: no request may outlive the lab's namespaces,
        // and the next cases get both servers back.
        running = false;
        await loop;
        if (rs1Stopped) {
          lab.startBackend(1);
          await lab.backendListening(1);
        }
      }
    });

    it('reload applies only the difference and keeps long-lived connections', async () => {
      const conns = await Promise.all([0, 1, 2, 3].map(() => echoConnection(lab.client)));
      for (const c of conns) expect(await c.roundTrip('before')).toMatch(/^rs[01]:before$/);
      const mark = lab.log.length;
      lab.writeConfig(config([3, 1]));
      lab.proc!.kill('SIGHUP');
      await waitFor('reload logged', () => lab.log.slice(mark).find((l) => l.msg === 'reloaded'));
      expect(opsLogged(lab, mark)).toEqual([`update-dest tcp/${VIP}:80 -> ${serverIp(0)}:80 nat w=3`]);
      for (const c of conns) expect(await c.roundTrip('after')).toMatch(/^rs[01]:after$/);
      const s = await split(lab, 200);
      // wrr 3:1 over 200 new connections.
      expect(Math.abs((s.get('rs0') ?? 0) / 200 - 0.75)).toBeLessThanOrEqual(0.1);
      expect(conns.reduce((n, c) => n + c.resets(), 0)).toBe(0);
      for (const c of conns) c.sock.destroy();
    });

    it('a bad config on reload changes nothing', async () => {
      const mark = lab.log.length;
      const before = (await status(lab)).pools;
      // A keyword missing its parameter: keepalived 2.2.7 refuses the file too
      // (an invalid value such as `lb_algo nosuch` it only warns about).
      lab.writeConfig(
        `${config([3, 1])}\nvirtual_server ${VIP} 81 {\n  real_server ${serverIp(0)} 81 {\n    weight\n  }\n}\n`,
      );
      try {
        lab.proc!.kill('SIGHUP');
        const refused = await waitFor('reload refused', () =>
          lab.log.slice(mark).find((l) => l.msg === 'reload refused'),
        );
        expect(String(refused.err)).toMatch(/keepalived\.conf:\d+:\d+: weight needs an integer/);
        expect(opsLogged(lab, mark)).toEqual([]);
        expect((await status(lab)).pools).toEqual(before);
      } finally {
        lab.writeConfig(config([3, 1]));
      }
    });

    for (const how of ['SIGTERM', 'SIGKILL'] as const) {
      it(`restart after ${how} keeps the data plane, connections and admin state`, async () => {
        const drain = await execFileP(process.execPath, [
          join(ROOT, 'dist/src/cli/main.js'),
          'rs',
          'drain',
          `tcp/${VIP}:80`,
          `${serverIp(1)}:80`,
          '--api-socket',
          join(lab.dir, 'api.sock'),
        ]);
        expect(drain.stdout).toMatch(/"operations":1/);
        const conn = await echoConnection(lab.client);
        expect(await conn.roundTrip('x')).toMatch(/:x$/);
        const old = lab.proc!;
        const gone = new Promise((r) => old.once('exit', r));
        old.kill(how);
        await gone;
        // Nobody runs the director now: the kernel still forwards.
        expect(await conn.roundTrip('alone')).toMatch(/:alone$/);
        const s = await split(lab, 20);
        expect([...s.keys()]).toEqual(['rs0']);
        const mark = lab.log.length;
        await lab.startDirector();
        const started = await waitFor('started', () => lab.log.slice(mark).find((l) => l.msg === 'started'));
        expect(started.operations).toBe(0);
        const st = await status(lab);
        const pool = st.pools.find((p) => p.id === `tcp/${VIP}:80`)!;
        expect(pool.members.find((m) => m.node === serverIp(1))!.weight).toBe(0);
        expect(await conn.roundTrip('again')).toMatch(/:again$/);
        expect(conn.resets()).toBe(0);
        conn.sock.destroy();
        await execFileP(process.execPath, [
          join(ROOT, 'dist/src/cli/main.js'),
          'rs',
          'undrain',
          `tcp/${VIP}:80`,
          `${serverIp(1)}:80`,
          '--api-socket',
          join(lab.dir, 'api.sock'),
        ]);
      });
    }
  });
}
