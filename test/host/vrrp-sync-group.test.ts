// A sync group of two instances against a keepalived pair. The subject
// (floatlb run, then keepalived in its place for comparison) is master of
// VI_A and VI_B at priority 150; keepalived on d2 is backup at 100 with the
// same group. VI_A alone tracks a script; when it fails, both instances move
// to the peer, and come back when it recovers. The group's notify scripts
// must run once per group transition with keepalived's arguments: the two
// subjects' logs are compared line for line.
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { type Director, Sampler, startFloatlbRun, startKeepalivedRun } from './vrrp-reload-lab.js';
import { runLab } from './vrrp-run-lab.js';

function conf(o: { router: string; prio: number; dir: string; notify: boolean }): string {
  const inst = (name: string, vrid: number, vip: string, track: boolean) => `
vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority ${o.prio}
  advert_int 1
  virtual_ipaddress {
    ${vip}/32
  }${track ? '\n  track_script {\n    chk\n  }' : ''}
}`;
  return `global_defs {
  router_id ${o.router}
  script_user root
  enable_script_security
}
vrrp_script chk {
  script "/bin/sh -c 'test -f ${o.dir}/ok'"
  interval 1
  fall 1
  rise 1
}
vrrp_sync_group G {
  group {
    VI_A
    VI_B
  }${
    o.notify
      ? `
  notify ${o.dir}/notify.sh
  notify_master "${o.dir}/notify.sh master-only x"`
      : ''
  }
}
${inst('VI_A', 61, '10.7.0.100', true)}
${inst('VI_B', 62, '10.7.0.200', false)}
`;
}

const NOTIFY = '#!/bin/sh\necho "$*" >> "$(dirname "$0")/notify.log"\n';

const lab = runLab();

async function scenario(kind: 'floatlb' | 'keepalived'): Promise<{ notify: string[]; detectMs: number }> {
  const net = await lab.lan();
  const { d1, d2 } = net;
  const tmp = lab.tempDir();
  tmp.write('ok', '');
  const script = tmp.write('notify.sh', NOTIFY);
  chmodSync(script, 0o755);
  const sampler = new Sampler(d1, d2);
  lab.defer(() => sampler.close());
  const c = tmp.write('subject.conf', conf({ router: 'subject', prio: 150, dir: tmp.dir, notify: true }));
  const subject: Director = (kind === 'floatlb' ? startFloatlbRun : startKeepalivedRun)(d1, c, tmp.dir);
  lab.defer(() => subject.stop());
  const both = (s: ReadonlySet<string>) => s.has('10.7.0.100') && s.has('10.7.0.200');
  const none = (s: ReadonlySet<string>) => !s.has('10.7.0.100') && !s.has('10.7.0.200');
  const until = (what: string, ok: Parameters<Sampler['until']>[1]) =>
    sampler.until(what, ok, 20_000).catch((e: Error) => {
      throw new Error(`${kind}: ${e.message}\n${subject.output()}`);
    });
  await until('the subject master of both', (s) => both(s.subject));
  const peerDir = lab.tempDir();
  peerDir.write('ok', '');
  const peerConf = peerDir.write(
    'peer.conf',
    conf({ router: 'peer', prio: 100, dir: peerDir.dir, notify: false }),
  );
  const peer = startKeepalivedRun(d2, peerConf, peerDir.dir);
  lab.defer(() => peer.stop());
  await new Promise((r) => setTimeout(r, 2500));
  // VI_A's tracked script fails: the group moves, both VIPs with it.
  const failAt = performance.now();
  rmSync(`${tmp.dir}/ok`);
  const moved = await until('both VIPs on the peer', (s) => both(s.peer) && none(s.subject));
  // And comes back when it recovers (the subject preempts at 150).
  tmp.write('ok', '');
  await until('both VIPs back on the subject', (s) => both(s.subject) && none(s.peer));
  await new Promise((r) => setTimeout(r, 1500));
  const notify = readFileSync(`${tmp.dir}/notify.log`, 'utf8').trim().split('\n');
  return { notify, detectMs: Math.round(moved.at - failAt) };
}

describe('sync group against a keepalived pair', () => {
  const runs: Record<string, string[]> = {};
  it('keepalived as the subject: its group notify lines', async () => {
    const r = await scenario('keepalived');
    runs.keepalived = r.notify;
    console.log(`keepalived group: moved in ${r.detectMs} ms; notify:\n  ${r.notify.join('\n  ')}`);
    expect(r.notify.length).toBeGreaterThan(0);
  });

  it('floatlb: one tracked failure moves both, and group notify matches keepalived line for line', async () => {
    const r = await scenario('floatlb');
    console.log(`floatlb group: moved in ${r.detectMs} ms; notify:\n  ${r.notify.join('\n  ')}`);
    // The generic script's lines in order; notify_master runs beside it, so only its count is fixed.
    const generic = (l: string[]) => l.filter((x) => x.startsWith('GROUP '));
    const specific = (l: string[]) => l.filter((x) => x === 'master-only x').length;
    expect(generic(r.notify)).toEqual([
      'GROUP G BACKUP 0',
      'GROUP G MASTER 0',
      'GROUP G FAULT 0',
      'GROUP G BACKUP 0',
      'GROUP G MASTER 0',
    ]);
    expect(specific(r.notify)).toBe(2);
    expect(generic(r.notify)).toEqual(generic(runs.keepalived!));
    expect(specific(r.notify)).toBe(specific(runs.keepalived!));
  });
});
