// Instance notify scripts run as keepalived 2.2.7 runs them, side by side on
// the same config: floatlb on d1, keepalived on d2, VRRP silenced in both so
// each is master alone. The script appends its arguments and `id -u`/`id -g`
// to a file: script_user is the default identity, a script's own user wins,
// and enable_script_security refuses a root script in a directory anyone may
// write to, while the same script run as script_user still runs.
import { describe, expect, it } from 'vitest';
import { runLab } from './vrrp-run-lab.js';
import { deaf, logs, scripts } from './vrrp-script-lab.js';

const lab = runLab();

const instance = (name: string, vrid: number, vip: string, notify: string) => `vrrp_instance ${name} {
  state MASTER
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${vip}/32
  }
${notify}
}
`;

describe('notify scripts as keepalived runs them', () => {
  it('script_user, a script’s own user, and enable_script_security refusing an unsafe root script', async () => {
    const { d1, d2 } = await lab.lan();
    deaf(d1, d2);
    const conf = (s: ReturnType<typeof scripts>) => `global_defs {
  router_id n
  script_user nobody
  enable_script_security
}
${instance('VI_N', 91, '10.7.0.100', `  notify_master "${s.safe} master"\n  notify "${s.safe} generic" root`)}
${instance('VI_U', 92, '10.7.0.101', `  notify_master "${s.unsafe} unsafe-root" root\n  notify "${s.unsafe} unsafe-default"`)}`;
    const [fs, ks] = [scripts(lab.tempDir()), scripts(lab.tempDir())];
    const fl = lab.floatlb(d1, conf(fs));
    const ka = lab.keepalived(d2, conf(ks));
    const [flLog, kaLog] = await logs(fs.log, ks.log, 5, [fl, ka]);
    const paths = (s: ReturnType<typeof scripts>, lines: string[]) =>
      lines.map((l) => l.replace(s.safe, 'S').replace(s.unsafe, 'U'));
    const expected = [
      'generic INSTANCE VI_N BACKUP 100 uid=0 gid=0',
      'generic INSTANCE VI_N MASTER 100 uid=0 gid=0',
      'master uid=65534 gid=65534',
      'unsafe-default INSTANCE VI_U BACKUP 100 uid=65534 gid=65534',
      'unsafe-default INSTANCE VI_U MASTER 100 uid=65534 gid=65534',
    ];
    expect(paths(ks, kaLog)).toEqual(expected);
    expect(paths(fs, flLog)).toEqual(expected);
    expect(fl.output(200)).toMatch(/refused by script security: .*unsafe is world-writable/);
  });

  it('without script_user: root, with keepalived’s warnings (no keepalived_script user, no script security)', async () => {
    const { d1, d2 } = await lab.lan();
    deaf(d1, d2);
    const conf = (s: ReturnType<typeof scripts>) => `global_defs {
  router_id n
}
${instance('VI_N', 91, '10.7.0.100', `  notify_master "${s.safe} master"`)}`;
    const [fs, ks] = [scripts(lab.tempDir()), scripts(lab.tempDir())];
    const fl = lab.floatlb(d1, conf(fs));
    const ka = lab.keepalived(d2, conf(ks));
    const [flLog, kaLog] = await logs(fs.log, ks.log, 1, [fl, ka]);
    expect(kaLog).toEqual(['master uid=0 gid=0']);
    expect(flLog).toEqual(kaLog);
    for (const warning of [
      /Script user 'keepalived_script' does not exist/,
      /SECURITY VIOLATION - scripts are being executed but script_security not enabled/,
    ]) {
      expect(ka.output(500)).toMatch(warning);
      expect(fl.output(500)).toMatch(warning);
    }
  });
});
