// Two `floatlb run` directors sharing a front VIP and a gateway VIP over VRRP
// (one sync group), LVS-NAT style, on the nftables plane:
//   client 10.81.0.10 ─ lan ─ d0 .2 / d1 .3 (VIP 10.81.0.100) ─ srv (gw VIP 10.81.1.1) ─ nodes 10.81.1.1x
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '../../lab/netns.js';
import { forwarding, type TopologySpec } from '../../lab/topology.js';
import { buildTestTopology } from './netns.js';

const ROOT = new URL('../..', import.meta.url).pathname;
export const HA_VIP = '10.81.0.100';
export const nodeIp = (i: number) => `10.81.1.${11 + i}`;
export const directorSrvIp = (i: number) => `10.81.1.${2 + i}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The keepalived.conf of director i (0 is the preferred master). */
export function haConfig(i: number, virtualServers: string): string {
  const inst = (name: string, dev: string, vrid: number, vip: string) => `
vrrp_instance ${name} {
  state ${i === 0 ? 'MASTER' : 'BACKUP'}
  interface ${dev}
  virtual_router_id ${vrid}
  priority ${i === 0 ? 150 : 100}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass floatlb
  }
  virtual_ipaddress {
    ${vip}
  }
}`;
  return `global_defs {
  router_id d${i}
}
vrrp_sync_group LVS {
  group {
    VI_EXT
    VI_INT
  }
}
${inst('VI_EXT', 'eth0', 51, `${HA_VIP}/24`)}
${inst('VI_INT', 'eth1', 52, '10.81.1.1/24')}
${virtualServers}`;
}

export interface HaLab {
  readonly client: Netns;
  readonly directors: Netns[];
  readonly nodes: Netns[];
  readonly dir: string;
  readonly procs: Array<ChildProcess | null>;
  readonly logs: string[][];
  startDirector(i: number, config: string, extraArgs?: string[]): void;
  hasVip(i: number): boolean;
  waitMaster(i: number, timeoutMs?: number): Promise<void>;
  /** A node failure: the process is killed and the director's links go down. */
  failDirector(i: number): void;
  cleanup(): void;
}

/** The two LANs as data: the front (client, directors) and the servers' (directors, nodes). */
export function haTopology(nodeCount: number): TopologySpec {
  const nodes = Array.from({ length: nodeCount }, (_, i) => `node${i}`);
  return {
    nodes: ['hub', 'client', 'd0', 'd1', ...nodes],
    bridges: [
      {
        name: 'lan',
        in: 'hub',
        ports: [
          { node: 'client', ifname: 'eth0', addrs: ['10.81.0.10/24'] },
          { node: 'd0', ifname: 'eth0', addrs: ['10.81.0.2/24'] },
          { node: 'd1', ifname: 'eth0', addrs: ['10.81.0.3/24'] },
        ],
      },
      {
        name: 'srv',
        in: 'hub',
        ports: [
          { node: 'd0', ifname: 'eth1', addrs: [`${directorSrvIp(0)}/24`] },
          { node: 'd1', ifname: 'eth1', addrs: [`${directorSrvIp(1)}/24`] },
          ...nodes.map((node, i) => ({ node, ifname: 'eth0', addrs: [`${nodeIp(i)}/24`] })),
        ],
      },
    ],
    routes: nodes.map((node) => ({ node, dst: 'default', via: '10.81.1.1' })),
    sysctls: forwarding(['d0', 'd1']),
  };
}

export async function buildHaLab(nodeCount: number): Promise<HaLab> {
  const topo = await buildTestTopology('ha', haTopology(nodeCount));
  const client = topo.node('client');
  const directors = [topo.node('d0'), topo.node('d1')];
  const nodes = Array.from({ length: nodeCount }, (_, i) => topo.node(`node${i}`));
  for (const [i, n] of nodes.entries()) {
    n.spawn(process.execPath, [join(ROOT, 'test/support/backend.mjs'), `node${i}`]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'floatlb-ha-'));
  const lab: HaLab = {
    client,
    directors,
    nodes,
    dir,
    procs: [null, null],
    logs: [[], []],
    startDirector(i, config, extraArgs = []) {
      writeFileSync(join(dir, `d${i}.conf`), config);
      const p = spawn(
        'ip',
        [
          ...[
            'netns',
            'exec',
            directors[i]!.name,
            process.execPath,
            join(ROOT, 'dist/src/cli/main.js'),
            'run',
          ],
          ...['-f', join(dir, `d${i}.conf`), '--state-dir', join(dir, `state${i}`)],
          ...['--api-socket', join(dir, `api${i}.sock`), ...extraArgs],
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      p.stderr!.on('data', (b: Buffer) => lab.logs[i]!.push(...b.toString().split('\n').filter(Boolean)));
      lab.procs[i] = p;
    },
    hasVip(i) {
      return directors[i]!.ip('-4', 'addr', 'show', 'dev', 'eth0').includes(`${HA_VIP}/24`);
    },
    async waitMaster(i, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (!lab.hasVip(i)) {
        if (Date.now() > end)
          throw new Error(`director ${i} never took the VIP: ${lab.logs[i]!.slice(-5).join('\n')}`);
        await sleep(100);
      }
    },
    failDirector(i) {
      lab.procs[i]?.kill('SIGKILL');
      directors[i]!.ip('link', 'set', 'eth0', 'down');
      directors[i]!.ip('link', 'set', 'eth1', 'down');
    },
    cleanup() {
      for (const p of lab.procs) p?.kill('SIGKILL');
      topo.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}
