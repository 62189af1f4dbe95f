// Refusals: a duplicate service is a typed EEXIST with a clear message and
// exit 1; bad names, addresses and ports are refused before any kernel call;
// nothing already programmed is disturbed.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { UsageError } from '../../src/cli/errors.js';
import { parseIpvsArgs } from '../../src/cli/ipvs-args.js';
import { runIpvs } from '../../src/cli/ipvs-run.js';
import type { DataPlaneOp, ServiceKey, ServiceSpec } from '../../src/kernel/dataplane.js';
import { IpvsClient } from '../../src/kernel/ipvs/client.js';
import { IpvsError } from '../../src/kernel/ipvs/validate.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { testNetns } from '../support/netns.js';
import { requireIpvs, requireTool } from '../support/require.js';
import { giveRoutes } from './ipvs-fixtures.js';

let ns: Netns;
let client: IpvsClient;
const svc: ServiceSpec = {
  key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('10.7.0.1'), port: 80 },
  scheduler: 'rr',
  flags: 0,
  persistence: null,
};
const ipKey = svc.key as Extract<ServiceKey, { kind: 'ip' }>;
const save = () =>
  execFileSync('ip', ['netns', 'exec', ns.name, 'ipvsadm', '-S', '-n'], { encoding: 'utf8' });
const cli = async (args: string[]) =>
  runIpvs(parseIpvsArgs([...args, '--netns', ns.name]), { write: () => {}, readStdin: async () => '' });

beforeAll(async () => {
  requireIpvs();
  requireTool('ipvsadm');
  ns = testNetns('ipvserr');
  giveRoutes(ns);
  client = await IpvsClient.open({ netns: ns.name });
  await client.addService(svc);
  await client.addDest(svc.key, {
    address: asIp('10.7.1.2'),
    port: 80,
    family: 'inet',
    forwarding: 'nat',
    weight: 5,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
});

afterAll(() => {
  client?.close();
  ns?.delete();
});

describe('kernel refusals', () => {
  it('adding an existing service is a typed EEXIST', async () => {
    const before = save();
    const err = await client.addService(svc).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpvsError);
    expect(err).toMatchObject({ code: 'EEXIST', fromKernel: true });
    expect((err as Error).message).toBe('add service TCP 10.7.0.1:80: service already exists');
    expect(save()).toBe(before);
  });

  it('the CLI says so and exits 1', async () => {
    const err = await cli(['-A', '-t', '10.7.0.1:80', '-s', 'wlc']).catch((e: unknown) => e);
    expect(err).toMatchObject({
      exitCode: 1,
      message: 'add service TCP 10.7.0.1:80: service already exists',
    });
  });

  it('a batch reports each failure and applies the rest', async () => {
    const before = save();
    const ops: DataPlaneOp[] = [
      { op: 'add-service', service: svc },
      { op: 'delete-service', key: { ...ipKey, port: 81 } },
      { op: 'delete-dest', key: svc.key, dest: { address: asIp('10.7.1.99'), port: 80 } },
    ];
    const r = await client.apply(ops);
    expect(r.applied).toBe(0);
    expect(r.errors.map((e) => (e.error as IpvsError).code)).toEqual(['EEXIST', 'ESRCH', 'ENOENT']);
    expect(r.errors[1]!.error.message).toBe('delete service TCP 10.7.0.1:81: no such service');
    expect(save()).toBe(before);
  });

  it('twos is not in this kernel: ENOENT with a clear message', async () => {
    const err = await client
      .addService({ ...svc, key: { ...ipKey, port: 82 }, scheduler: 'twos' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOENT' });
    expect((err as Error).message).toContain('scheduler twos is not available in this kernel');
  });
});

describe('refused before any kernel call', () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      'bad scheduler',
      ['-A', '-t', '10.7.0.2:80', '-s', 'roundrobin'],
      /illegal scheduling algorithm "roundrobin"/,
    ],
    ['bad address', ['-A', '-t', '10.7.0.300:80', '-s', 'rr'], /not an IP address/],
    ['bad port', ['-A', '-t', '10.7.0.2:70000', '-s', 'rr'], /illegal service port/],
    ['bad real server', ['-a', '-t', '10.7.0.1:80', '-r', 'host.example:80', '-m'], /not an IP address/],
    [
      'bad weight',
      ['-a', '-t', '10.7.0.1:80', '-r', '10.7.1.3', '-m', '-w', '-1'],
      /weight|needs a value|unknown option/,
    ],
    ['sh flag on rr', ['-A', '-t', '10.7.0.2:80', '-s', 'rr', '-b', 'sh-port'], /sh-port applies to sh only/],
  ];
  for (const [name, args, msg] of cases) {
    it(`${name}: ${args.join(' ')}`, async () => {
      const before = save();
      const err = await cli(args).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(msg);
      expect(save()).toBe(before);
    });
  }

  it('the data plane refuses an invalid op without sending it', async () => {
    const before = save();
    const r = await client.apply([
      { op: 'add-service', service: { ...svc, key: { ...ipKey, address: asIp('2001:db8::1') } } },
    ]);
    expect(r.transactions).toBe(0);
    expect(r.errors[0]!.error).toMatchObject({ code: 'EINVAL', fromKernel: false });
    expect(r.errors[0]!.error.message).toContain('2001:db8::1 is not an IPv4 address');
    expect(save()).toBe(before);
  });
});
