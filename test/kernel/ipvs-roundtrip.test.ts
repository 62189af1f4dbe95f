// Round trips through the real kernel: a generated table programmed by
// floatlb reads back identically through ipvsadm, and programmed by ipvsadm
// reads back identically through floatlb. Also the sync daemons, timeouts,
// zero and restore.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { parseIpvsArgs } from '../../src/cli/ipvs-args.js';
import { formatList, formatSave } from '../../src/cli/ipvs-format.js';
import { runIpvs } from '../../src/cli/ipvs-run.js';
import type { DataPlaneOp } from '../../src/kernel/dataplane.js';
import { IpvsClient } from '../../src/kernel/ipvs/client.js';
import { testNetns } from '../support/netns.js';
import { requireIpvs, requireTool } from '../support/require.js';
import { generateTable, giveRoutes, ipvsadmLines, normalize } from './ipvs-fixtures.js';

let ns: Netns;
let client: IpvsClient;
const table = generateTable();

function ipvsadm(args: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns.name, 'ipvsadm', ...args], {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });
}

async function floatlb(args: string[], stdin = ''): Promise<string> {
  let out = '';
  await runIpvs(parseIpvsArgs([...args, '--netns', ns.name]), {
    write: (s) => {
      out += s;
    },
    readStdin: async () => stdin,
  });
  return out;
}

function programOps(): DataPlaneOp[] {
  const ops: DataPlaneOp[] = [];
  for (const s of table) {
    ops.push({ op: 'add-service', service: s });
    for (const d of s.dests) ops.push({ op: 'add-dest', key: s.key, dest: d });
  }
  return ops;
}

beforeAll(async () => {
  requireIpvs();
  requireTool('ipvsadm');
  ns = testNetns('ipvsrt');
  giveRoutes(ns);
  client = await IpvsClient.open({ netns: ns.name });
});

afterAll(() => {
  client?.close();
  ns?.delete();
});

describe('programmed by floatlb, read by ipvsadm', () => {
  it('applies the whole table in a few datagrams', async () => {
    await client.flush();
    const ops = programOps();
    const r = await client.apply(ops);
    expect(r.errors.map((e) => e.error.message)).toEqual([]);
    expect(r.applied).toBe(ops.length);
    expect(r.transactions).toBeLessThan(ops.length / 10);
  });

  it('ipvsadm -Ln prints what floatlb would print for the table', async () => {
    const info = await client.info();
    expect(ipvsadm(['-Ln'])).toBe(formatList(info, table));
    expect(ipvsadm(['-Ln', '--thresholds'])).toBe(formatList(info, table, { thresholds: true }));
    expect(ipvsadm(['-Ln', '--tun-info'])).toBe(formatList(info, table, { tunInfo: true }));
  });

  it('ipvsadm -S -n matches floatlb save, line for line', () => {
    expect(ipvsadm(['-S', '-n'])).toBe(formatSave(table));
  });

  it('floatlb ipvs list -n, --stats, --rate and save print what ipvsadm prints', async () => {
    expect(await floatlb(['list', '-n'])).toBe(ipvsadm(['-Ln']));
    expect(await floatlb(['-Ln', '--stats'])).toBe(ipvsadm(['-Ln', '--stats']));
    expect(await floatlb(['-Ln', '--rate'])).toBe(ipvsadm(['-Ln', '--rate']));
    expect(await floatlb(['-Ln', '--exact', '--stats'])).toBe(ipvsadm(['-Ln', '--exact', '--stats']));
    expect(await floatlb(['-Ln', '--persistent-conn'])).toBe(ipvsadm(['-Ln', '--persistent-conn']));
    expect(await floatlb(['save'])).toBe(ipvsadm(['-S', '-n']));
    const one = table[0]!.key;
    if (one.kind !== 'ip') throw new Error('fixture starts with an IP service');
    const t = `${one.address}:${one.port}`;
    expect(await floatlb(['-L', '-n', '-t', t])).toBe(ipvsadm(['-L', '-n', '-t', t]));
  });

  it('reads the table back as it was written', async () => {
    expect(normalize(await client.list())).toEqual(normalize(table));
  });
});

describe('programmed by ipvsadm, read by floatlb', () => {
  it('ipvsadm -R of the table reads back identically through floatlb', async () => {
    ipvsadm(['-C']);
    ipvsadm(['-R'], ipvsadmLines(table));
    expect(normalize(await client.list())).toEqual(normalize(table));
    expect(await floatlb(['list', '-n'])).toBe(ipvsadm(['-Ln']));
    expect(await floatlb(['-L', '-n', '--thresholds'])).toBe(ipvsadm(['-Ln', '--thresholds']));
  });

  it('floatlb restore accepts ipvsadm-save output; ipvsadm-restore accepts floatlb save', async () => {
    const saved = execFileSync('ip', ['netns', 'exec', ns.name, 'ipvsadm-save', '-n'], { encoding: 'utf8' });
    await client.flush();
    await floatlb(['restore'], saved);
    expect(ipvsadm(['-S', '-n'])).toBe(saved);
    const ours = await floatlb(['save']);
    execFileSync('ip', ['netns', 'exec', ns.name, 'ipvsadm-restore'], { input: ours });
    expect(ipvsadm(['-S', '-n'])).toBe(ours);
  });
});

describe('the rest of the command set', () => {
  it('edits and deletes services and real servers', async () => {
    await client.flush();
    await floatlb(['-A', '-t', '10.9.0.1:80', '-s', 'rr']);
    await floatlb(['add', '-t', '10.9.0.1:80', '-r', '10.9.1.2:8080', '-m', '-w', '2']);
    await floatlb(['-E', '-t', '10.9.0.1:80', '-s', 'wlc', '-p', '600']);
    await floatlb(['-e', '-t', '10.9.0.1:80', '-r', '10.9.1.2:8080', '-m', '-w', '9', '-x', '40', '-y', '4']);
    expect(ipvsadm(['-S', '-n'])).toBe(
      '-A -t 10.9.0.1:80 -s wlc -p 600\n-a -t 10.9.0.1:80 -r 10.9.1.2:8080 -m -w 9\n',
    );
    expect(ipvsadm(['-Ln', '--thresholds'])).toMatch(/-> 10\.9\.1\.2:8080\s+40\s+4\s+0\s+0/);
    await floatlb(['-d', '-t', '10.9.0.1:80', '-r', '10.9.1.2:8080']);
    expect(ipvsadm(['-S', '-n'])).toBe('-A -t 10.9.0.1:80 -s wlc -p 600\n');
    await floatlb(['delete', '-t', '10.9.0.1:80']);
    expect(ipvsadm(['-S', '-n'])).toBe('');
  });

  it('sets and reads timeouts', async () => {
    await floatlb(['--set', '901', '121', '301']);
    expect(await client.getTimeouts()).toEqual({ tcp: 901, tcpFin: 121, udp: 301 });
    expect(await floatlb(['-L', '--timeout'])).toBe(ipvsadm(['-L', '--timeout']));
  });

  it('starts, lists and stops the sync daemons', async () => {
    await floatlb(['--start-daemon', 'master', '--mcast-interface', 'rt0', '--syncid', '5']);
    ipvsadm([
      '--start-daemon',
      'backup',
      '--mcast-interface',
      'rt0',
      '--syncid',
      '6',
      '--mcast-group',
      '224.0.0.99',
      '--mcast-port',
      '8849',
      '--mcast-ttl',
      '2',
      '--sync-maxlen',
      '1400',
    ]);
    const ds = await client.daemons();
    expect(ds.find((d) => d.state === 'master')).toMatchObject({ ifname: 'rt0', syncId: 5 });
    expect(ds.find((d) => d.state === 'backup')).toMatchObject({
      ifname: 'rt0',
      syncId: 6,
      group: '224.0.0.99',
      port: 8849,
      ttl: 2,
      maxLen: 1400,
    });
    expect(await floatlb(['-L', '--daemon'])).toBe(ipvsadm(['-L', '--daemon']));
    await floatlb(['--stop-daemon', 'master']);
    await client.stopDaemon('backup');
    expect(await client.daemons()).toEqual([]);
  });

  it('zero clears the counters; clear empties the table', async () => {
    await client.apply(programOps().slice(0, 10));
    await floatlb(['-Z']);
    const svcs = await client.services();
    expect(svcs.every((s) => s.stats?.conns === 0n)).toBe(true);
    await floatlb(['-C']);
    expect(await client.services()).toEqual([]);
  });
});
