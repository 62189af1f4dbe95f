// vrrp_script identity, beside keepalived 2.2.7 on the same config: floatlb
// on d1, keepalived on d2, each master alone. The scripts log `id -u`/`id -g`:
// script_user is the default identity, a script's own user wins, and under
// enable_script_security a root script others could change is disabled, not
// run: the instance tracking it (weight 0, so a failure would mean FAULT)
// still becomes master, as keepalived's does.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { sleep } from './vrrp-lab.js';
import { runLab } from './vrrp-run-lab.js';
import { deaf, logs, scripts } from './vrrp-script-lab.js';

const lab = runLab();

const hasVip = (ns: Netns, vip: string) =>
  execFileSync('ip', ['-n', ns.name, '-4', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).includes(
    ` ${vip}/32 `,
  );

describe('track scripts as keepalived runs them', () => {
  it('script_user, a script’s own user, and an unsafe root script disabled rather than run', async () => {
    const { d1, d2 } = await lab.lan();
    deaf(d1, d2);
    const conf = (s: ReturnType<typeof scripts>) => `global_defs {
  router_id t
  script_user nobody
  enable_script_security
}
vrrp_script chk_default {
  script "${s.safe} chk_default"
  interval 1
}
vrrp_script chk_root {
  script "${s.safe} chk_root"
  interval 1
  user root
}
vrrp_script chk_unsafe_root {
  script "${s.unsafe} fail chk_unsafe_root"
  interval 1
  user root
}
vrrp_script chk_unsafe_nobody {
  script "${s.unsafe} chk_unsafe_nobody"
  interval 1
}
vrrp_instance VI_T {
  state MASTER
  interface eth0
  virtual_router_id 93
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.7.0.102/32
  }
  track_script {
    chk_default
    chk_root
    chk_unsafe_root
    chk_unsafe_nobody
  }
}
`;
    const [fs, ks] = [scripts(lab.tempDir()), scripts(lab.tempDir())];
    const fl = lab.floatlb(d1, conf(fs));
    const ka = lab.keepalived(d2, conf(ks));
    const unique = (log: () => string[]) => () => [...new Set(log())];
    const [flLog, kaLog] = await logs(unique(fs.log), unique(ks.log), 3, [fl, ka]);
    const expected = [
      'chk_default uid=65534 gid=65534',
      'chk_root uid=0 gid=0',
      'chk_unsafe_nobody uid=65534 gid=65534',
    ];
    expect(kaLog).toEqual(expected);
    expect(flLog).toEqual(expected);
    // The disabled script does not hold the instance in FAULT: both become master.
    const end = Date.now() + 20_000;
    while (!(hasVip(d1, '10.7.0.102') && hasVip(d2, '10.7.0.102')) && Date.now() < end) await sleep(200);
    expect([hasVip(d1, '10.7.0.102'), hasVip(d2, '10.7.0.102')]).toEqual([true, true]);
    expect(fl.output(300)).toMatch(
      /Disabling track script chk_unsafe_root: script .* refused by script security: .*unsafe is world-writable/,
    );
    expect(ka.output(300)).toMatch(/Disabling track script chk_unsafe_root due to insecure/);
  });
});
