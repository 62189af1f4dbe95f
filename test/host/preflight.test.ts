// Host tier (root, namespaces): `floatlb run` reads the real sysctls and
// addresses and warns about a one-armed NAT layout with ICMP redirects on,
// and about NAT without ip_forward. The director lab is two-armed; a real
// server on the client side (10.80.0.0/24, the VIP's subnet) makes it one-armed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDirectorLab, type DirectorLab, serverIp, VIP } from '../support/director-lab.js';

let lab: DirectorLab;

const conf = (servers: string[]) => `
virtual_server ${VIP} 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
${servers.map((s) => `  real_server ${s} 80 {\n    weight 1\n  }`).join('\n')}
}
`;

async function warningsOfRun(text: string): Promise<string[]> {
  lab.writeConfig(text);
  const mark = lab.log.length;
  await lab.startDirector();
  const p = lab.proc!;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await gone;
  return lab.log
    .slice(mark)
    .filter((l) => l.level === 40 && l.component === 'daemon')
    .map((l) => String(l.msg));
}

beforeAll(async () => {
  lab = await buildDirectorLab('nftables', 1);
});

afterAll(() => lab?.cleanup());

describe('start-up checks of the host', () => {
  it('a NAT real server on the VIP subnet with send_redirects on is named, with the sysctls to set', async () => {
    const w = await warningsOfRun(conf(['10.80.0.10', serverIp(0)]));
    expect(w).toEqual([
      expect.stringMatching(
        /^NAT real servers 10\.80\.0\.10 share eth0's subnet with the VIP: .*net\.ipv4\.conf\.eth0\.send_redirects=0\.$/,
      ),
    ]);
  });

  it('with redirects off, and with the servers behind another interface, it says nothing', async () => {
    expect(await warningsOfRun(conf([serverIp(0)]))).toEqual([]);
    for (const k of ['all', 'eth0']) lab.director.sysctl(`net.ipv4.conf.${k}.send_redirects`, 0);
    expect(await warningsOfRun(conf(['10.80.0.10']))).toEqual([]);
  });

  it('NAT without ip_forward', async () => {
    lab.director.sysctl('net.ipv4.ip_forward', 0);
    try {
      expect(await warningsOfRun(conf([serverIp(0)]))).toEqual([
        expect.stringMatching(/net\.ipv4\.ip_forward is 0/),
      ]);
    } finally {
      lab.director.sysctl('net.ipv4.ip_forward', 1);
    }
  });
});
