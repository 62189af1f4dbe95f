// track_process through `floatlb run -f keepalived.conf`, beside Debian's
// keepalived 2.2.7 as the backup. floatlb (priority 150) tracks a process by
// name with weight 0 and a 1 s delay: killing the process puts the instance
// in FAULT after the delay, and keepalived (priority 100) takes the VIP.
// Restarting the process ends the fault and floatlb preempts it back.
// The process is a copy of sleep under a name no other process has.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { Sampler } from './vrrp-reload-lab.js';
import { runLab } from './vrrp-run-lab.js';

const VIP = '10.7.0.150';
const DELAY_MS = 1000;

function conf(o: { router: string; prio: number; proc: string | null }): string {
  const tracked = o.proc
    ? `vrrp_track_process tracked {
  process ${o.proc}
  weight 0
  delay ${DELAY_MS / 1000}
}
`
    : '';
  return `global_defs {
  router_id ${o.router}
}
${tracked}vrrp_instance VI_P {
  state BACKUP
  interface eth0
  virtual_router_id 71
  priority ${o.prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }${o.proc ? '\n  track_process {\n    tracked\n  }' : ''}
}
`;
}

const lab = runLab();

describe('track_process against keepalived', () => {
  it('a killed tracked process moves the VIP to keepalived after the delay; restarted, floatlb preempts it back', async () => {
    const { d1, d2 } = await lab.lan();
    const tmp = lab.tempDir();
    // comm is the file name: unique per test run, at most 15 bytes.
    const name = `fltp${process.pid % 100000}`;
    const bin = `${tmp.dir}/${name}`;
    copyFileSync('/bin/sleep', bin);
    let child: ChildProcess | null = null;
    const startProc = () => {
      child = spawn(bin, ['600'], { stdio: 'ignore' });
    };
    const killProc = () => child?.kill('SIGKILL');
    lab.defer(() => void killProc());
    startProc();

    const sampler = lab.sampler(d1, d2);
    const subject = lab.floatlb(d1, conf({ router: 's', prio: 150, proc: name }));
    const until = (what: string, ok: Parameters<Sampler['until']>[1]) =>
      sampler.until(what, ok, 20_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${subject.output()}`);
      });
    await until('floatlb master', (s) => s.subject.has(VIP));
    lab.keepalived(d2, conf({ router: 'p', prio: 100, proc: null }));
    const settled = sampler.samples.length;
    await new Promise((r) => setTimeout(r, 2500));
    // While the process runs, keepalived never holds the VIP.
    expect(sampler.samples.slice(settled).filter((s) => s.peer.has(VIP))).toEqual([]);

    const killAt = performance.now();
    killProc();
    const moved = await until('the VIP on keepalived', (s) => s.peer.has(VIP) && !s.subject.has(VIP));
    const detectMs = Math.round(moved.at - killAt);
    // The delay is a lower bound whatever the machine's speed: the scan only starts it.
    expect(detectMs).toBeGreaterThanOrEqual(DELAY_MS);
    expect(subject.output()).toMatch(/tracked process:\S+ failed/);

    const restartAt = performance.now();
    startProc();
    const back = await until('the VIP back on floatlb', (s) => s.subject.has(VIP) && !s.peer.has(VIP));
    console.log(
      `track_process: VIP on keepalived ${detectMs} ms after the kill (delay ${DELAY_MS} ms, advert 1 s); ` +
        `back on floatlb ${Math.round(back.at - restartAt)} ms after the restart`,
    );
  });
});
