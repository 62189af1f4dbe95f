// Kernel tier (lab VM): keepalived's global LVS settings and the persistence
// engine through `floatlb run` on real IPVS, beside keepalived 2.2.7 given the
// same settings in another namespace: lvs_flush removes a service that was
// there before, lvs_timeouts reach IPVS's set-timeout, persistence_engine sip
// reaches the service. Both tables are read with ipvsadm and compared.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { buildDirectorLab, type DirectorLab, serverIp, VIP } from '../support/director-lab.js';
import { spawnKeepalivedLvs, until } from '../support/keepalived.js';
import { testNetns } from '../support/netns.js';
import { requireIpvs, requireRoot, requireTool } from '../support/require.js';

let lab: DirectorLab;
let ka: Netns;

const conf = (vip: string) => `global_defs {
  router_id globals
  lvs_timeouts tcp 901 tcpfin 121 udp 301
  lvs_flush
}
virtual_server ${vip} 5060 {
  lb_algo rr
  lb_kind NAT
  protocol UDP
  persistence_timeout 60
  persistence_engine sip
  real_server ${serverIp(0)} 5060 {
    weight 2
  }
}
`;

beforeAll(async () => {
  requireRoot();
  requireIpvs();
  requireTool('keepalived');
  lab = await buildDirectorLab('ipvs', 1);
  // Something that was there before: lvs_flush removes it.
  lab.director.exec('ipvsadm', '-A', '-t', '10.99.0.1:99', '-s', 'wlc');
  lab.writeConfig(conf(VIP));
  await lab.startDirector();

  ka = testNetns('kaglob');
  ka.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
  ka.ip('addr', 'add', `${VIP}/24`, 'dev', 'eth0');
  ka.ip('addr', 'add', '10.80.1.1/24', 'dev', 'eth1');
  ka.ip('link', 'set', 'eth0', 'up');
  ka.ip('link', 'set', 'eth1', 'up');
  ka.ip('route', 'add', 'default', 'via', '10.80.0.1');
  ka.exec('ipvsadm', '-A', '-t', '10.99.0.1:99', '-s', 'wlc');
  const kconf = join(lab.dir, 'ka.conf');
  writeFileSync(kconf, conf(VIP));
  spawnKeepalivedLvs(ka, kconf, lab.dir);
  await until('keepalived programmed IPVS', () => ka.exec('ipvsadm', '-S', '-n').includes(':5060'));
});

afterAll(() => {
  ka?.delete();
  lab?.cleanup();
});

describe('global LVS settings on IPVS, beside keepalived', () => {
  it('lvs_flush, lvs_timeouts and persistence_engine sip give the table keepalived gives', async () => {
    await until('floatlb programmed IPVS', () => lab.director.exec('ipvsadm', '-S', '-n').includes(':5060'));
    const ours = lab.director.exec('ipvsadm', '-S', '-n');
    const theirs = ka.exec('ipvsadm', '-S', '-n');
    expect(ours).toBe(
      `-A -u ${VIP}:5060 -s rr -p 60 --pe sip\n-a -u ${VIP}:5060 -r ${serverIp(0)}:5060 -m -w 2\n`,
    );
    expect(ours).toBe(theirs);
    const t = (ns: Netns) => ns.exec('ipvsadm', '-L', '-n', '--timeout');
    expect(t(lab.director)).toBe('Timeout (tcp tcpfin udp): 901 121 301\n');
    expect(t(lab.director)).toBe(t(ka));
  });
});
