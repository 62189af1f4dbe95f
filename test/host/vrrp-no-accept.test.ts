// no_accept (and vrrp_strict, which implies it) through `floatlb run`, beside
// keepalived 2.2.7 on the same config in the same place: a client pings the
// master's VIP and opens a TCP connection to it. Under no_accept both
// directors drop it; with accept it gets through (the connection is refused
// by the kernel, so it reached it). Then floatlb's rules are read from the
// kernel: a reload that changes the VIP list changes only those elements,
// and a stop removes floatlb's table and nothing else.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { VIP_FIREWALL_TABLE } from '../../src/kernel/vip-firewall.js';
import { linkLocal } from './vrrp-ipv6-lab.js';
import { nft } from './vrrp-lab.js';
import { runLab } from './vrrp-run-lab.js';

const VIP = '10.7.0.100';
const VIP_B = '10.7.0.101';
const VIP_C = '10.7.0.102';

type Mode = 'vrrp_strict' | 'no_accept' | 'accept';

const conf = (mode: Mode, vips: readonly string[] = [VIP]) => `global_defs {
  vrrp_version 3
${mode === 'vrrp_strict' ? '  vrrp_strict\n' : ''}}
vrrp_instance VI_A {
  interface eth0
  virtual_router_id 71
  priority 150
  advert_int 0.1
${mode === 'no_accept' ? '  no_accept\n' : mode === 'accept' ? '  accept\n' : ''}  virtual_ipaddress {
${vips.map((v) => `    ${v}/32`).join('\n')}
  }
}
`;

/** Exit code of a command in a namespace, without blocking the loop (the sampler runs meanwhile). */
function exitCode(ns: Netns, ...argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', ns.name, ...argv], { stdio: 'ignore' });
    c.on('close', (code) => resolve(code ?? -1));
  });
}

/** What the client gets from the VIP: echo replies, and how a TCP connect to a closed port ends. */
async function reach(client: Netns, vip: string): Promise<{ ping: boolean; tcp: 'refused' | 'dropped' }> {
  // No listener: a kernel that takes the SYN answers RST at once; a dropped SYN times out.
  const [ping, tcp] = await Promise.all([
    exitCode(client, 'ping', '-n', '-q', '-c', '3', '-i', '0.2', '-w', '3', vip),
    exitCode(client, 'timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${vip}/9`),
  ]);
  return { ping: ping === 0, tcp: tcp === 124 ? 'dropped' : 'refused' };
}

/** The addresses in floatlb's drop set, and the table's handle (null: no table). */
function dropSet(ns: Netns): { handle: number | null; elements: string[] } {
  let out: string;
  try {
    out = ns.exec('nft', '-j', 'list', 'table', 'inet', VIP_FIREWALL_TABLE);
  } catch {
    return { handle: null, elements: [] };
  }
  const items = JSON.parse(out).nftables as Array<{
    table?: { handle: number };
    set?: { name: string; elem?: string[] };
  }>;
  const handle = items.find((i) => i.table)?.table?.handle ?? null;
  const elements = items.flatMap((i) => (i.set?.name === 'vips4' ? (i.set.elem ?? []) : []));
  return { handle, elements: [...elements].sort() };
}

const VIP6 = 'fd00:7::100';

const conf6 = (mode: 'no_accept' | 'accept') => `vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 72
  priority 150
  version 3
  advert_int 0.1
  ${mode}
  virtual_ipaddress {
    ${VIP6}/64
  }
}
`;

const lab = runLab();

describe('no_accept and vrrp_strict against keepalived', () => {
  it('a master drops ping and TCP to its VIP under no_accept and vrrp_strict, and lets them in with accept, as keepalived does', async () => {
    const { d1, d2, client } = await lab.lan();
    const sampler = lab.sampler(d1, d2);
    const seen: Record<string, unknown> = {};
    for (const mode of ['vrrp_strict', 'no_accept', 'accept'] as const) {
      for (const who of ['floatlb', 'keepalived'] as const) {
        const d = who === 'floatlb' ? lab.floatlb(d1, conf(mode)) : lab.keepalived(d1, conf(mode));
        await sampler
          .until(`${who} ${mode} master`, (s) => s.subject.has(VIP), 20_000)
          .catch((e: Error) => {
            throw new Error(`${e.message}\n${d.output()}`);
          });
        seen[`${who} ${mode}`] = await reach(client, VIP);
        await d.stop();
        await sampler.until(`${who} released`, (s) => !s.subject.has(VIP), 20_000);
      }
    }
    const dropped = { ping: false, tcp: 'dropped' };
    const taken = { ping: true, tcp: 'refused' };
    expect(seen).toEqual({
      'floatlb vrrp_strict': dropped,
      'keepalived vrrp_strict': dropped,
      'floatlb no_accept': dropped,
      'keepalived no_accept': dropped,
      'floatlb accept': taken,
      'keepalived accept': taken,
    });
  });

  it('the rules follow the VIPs: a reload changes only the difference, a stop removes only floatlb’s table', async () => {
    const { d1, d2 } = await lab.lan();
    const sampler = lab.sampler(d1, d2);
    // Someone else's table, which floatlb must leave alone.
    nft(d1, 'table inet bystander {\n  chain c { type filter hook input priority 10; policy accept; }\n}');
    const fl = lab.floatlb(d1, conf('no_accept', [VIP, VIP_B]));
    expect(dropSet(d1).handle).toBeNull();
    await sampler.until('master', (s) => s.subject.has(VIP) && s.subject.has(VIP_B), 20_000);
    const poll = async (what: string, ok: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${fl.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await poll('drop rules', () => dropSet(d1).elements.length === 2);
    const before = dropSet(d1);
    expect(before.elements).toEqual([VIP, VIP_B]);

    // A reload that swaps one VIP: the table stays (same handle), one element goes, one comes.
    const from = sampler.samples.length;
    writeFileSync(fl.conf, conf('no_accept', [VIP, VIP_C]));
    fl.reload();
    await sampler.until('VIP swapped', (s) => s.subject.has(VIP_C) && !s.subject.has(VIP_B), 20_000);
    await poll('drop rules swapped', () => dropSet(d1).elements.includes(VIP_C));
    const after = dropSet(d1);
    expect(after).toEqual({ handle: before.handle, elements: [VIP, VIP_C] });
    // The VIP both configs name was never released.
    expect(sampler.samples.slice(from).every((s) => s.subject.has(VIP))).toBe(true);

    await fl.stop();
    expect(dropSet(d1).handle).toBeNull();
    expect(d1.exec('nft', 'list', 'tables')).toContain('table inet bystander');
  });

  it('over IPv6 the VIP still answers neighbour discovery under no_accept, while echo is dropped, as keepalived does', async () => {
    const { d1, client } = await lab.lan();
    client.ip('addr', 'add', 'fd00:7::10/64', 'dev', 'eth0', 'nodad');
    await linkLocal(d1);
    await linkLocal(client);
    const holds = () => d1.ip('-6', 'addr', 'show', 'eth0').includes(`${VIP6}/64`);
    const seen: Record<string, unknown> = {};
    for (const mode of ['no_accept', 'accept'] as const) {
      for (const who of ['floatlb', 'keepalived'] as const) {
        const d = who === 'floatlb' ? lab.floatlb(d1, conf6(mode)) : lab.keepalived(d1, conf6(mode));
        const end = Date.now() + 20_000;
        while (!holds()) {
          if (Date.now() > end) throw new Error(`${who} ${mode}: no VIP\n${d.output()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        client.ip('-6', 'neigh', 'flush', 'dev', 'eth0');
        const ping =
          (await exitCode(client, 'ping', '-6', '-n', '-q', '-c', '3', '-i', '0.2', '-w', '3', VIP6)) === 0;
        // The echo may be dropped, but the solicitation for the VIP was answered.
        const neigh = client.ip('-6', 'neigh', 'show', VIP6, 'dev', 'eth0');
        seen[`${who} ${mode}`] = { ping, resolved: /lladdr/.test(neigh) };
        await d.stop();
      }
    }
    expect(seen).toEqual({
      'floatlb no_accept': { ping: false, resolved: true },
      'keepalived no_accept': { ping: false, resolved: true },
      'floatlb accept': { ping: true, resolved: true },
      'keepalived accept': { ping: true, resolved: true },
    });
  });
});
