// vrrp_strict at run time, beside keepalived 2.2.7: strict mode does not do
// authentication, so a strict instance discards the adverts of a peer that
// sends auth_type PASS, however high its priority, and takes the VIP itself.
// keepalived in the subject's place does the same; the peer, which expects
// the password, ignores the subject's adverts in turn, so both hold the VIP.
import { describe, expect, it } from 'vitest';
import { runLab } from './vrrp-run-lab.js';

const VIP = '10.7.0.100';

const conf = (prio: number, strict: boolean) => `global_defs {
${strict ? '  vrrp_strict\n' : ''}}
vrrp_instance VI_S {
  interface eth0
  virtual_router_id 93
  priority ${prio}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    ${VIP}/32
  }
}
`;

const lab = runLab();

describe('vrrp_strict on the wire, against keepalived', () => {
  it('a strict instance discards adverts with authentication and takes the VIP from a higher-priority peer, as keepalived does', async () => {
    const { d1, d2 } = await lab.lan();
    const sampler = lab.sampler(d1, d2);
    const peer = lab.keepalived(d2, conf(200, false));
    await sampler.until('peer master', (s) => s.peer.has(VIP), 20_000);
    for (const who of ['floatlb', 'keepalived'] as const) {
      const d = who === 'floatlb' ? lab.floatlb(d1, conf(100, true)) : lab.keepalived(d1, conf(100, true));
      const both = await sampler
        .until(`${who} strict takes the VIP`, (s) => s.subject.has(VIP) && s.peer.has(VIP), 20_000)
        .catch((e: Error) => {
          throw new Error(`${e.message}\n${d.output()}\n${peer.output()}`);
        });
      expect(both.subject.has(VIP)).toBe(true);
      await d.stop();
      await sampler.until(`${who} released`, (s) => !s.subject.has(VIP), 20_000);
    }
  });
});
