// floatlb's verdict on a corpus of valid and broken configs matches
// `keepalived -t` (Debian's 2.2.7), run in a namespace that has the
// interfaces the files name. keepalived -t fails on any reported problem,
// warnings included, so the comparison is "clean" (nothing reported) versus
// "flagged"; for broken files floatlb must also report a problem, at a line
// keepalived names when it names one, and refuse only what keepalived refuses.
// agreement/refuse-*.conf are files keepalived refuses (it stops loading):
// floatlb must refuse them too. Other files there (*.part) are only included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verdictOf } from '../../lab/config-oracle.js';
import type { Netns } from '../../lab/netns.js';
import { loadConfigSync } from '../../src/config/index.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

const SAMPLES = '/work/shared/keepalived-samples';
const FIXTURES = new URL('../fixtures/config/', import.meta.url).pathname;
const AGREEMENT = join(FIXTURES, 'agreement');
// keepalived -t exit codes: 0 clean, 4/5 configuration problems, 6 script security
// or a failed include check; a bare security verdict depends on the scripts present
// on this machine, not on the file, so it counts as clean.
const KEEPALIVED_SECURITY_ONLY = 6;

const corpus = [
  ...readdirSync(SAMPLES)
    .filter((f) => f.startsWith('keepalived.conf'))
    .map((f) => join(SAMPLES, f)),
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => join(FIXTURES, f)),
  ...readdirSync(AGREEMENT)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => join(AGREEMENT, f)),
];

let ns: Netns;
let runDir: string;

beforeAll(() => {
  requireRoot();
  requireTool('keepalived');
  ns = testNetns('cfgka');
  // Interfaces named by the samples; "eth0.1" is a veth with a VLAN-like name.
  for (const [i, name] of ['eth0', 'eth1', 'eth2', 'eth3', 'eth0.1', 'enp0s3'].entries()) {
    ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `cfgkap${i}`);
    ns.ip('link', 'set', name, 'up');
  }
  runDir = mkdtempSync(join(tmpdir(), 'floatlb-cfgka-'));
});

afterAll(() => {
  ns?.delete();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

function keepalivedCheck(file: string): { rc: number; lines: number[]; output: string } {
  const p = (n: string) => join(runDir, n);
  const res = spawnSync(
    'ip',
    [
      'netns',
      'exec',
      ns.name,
      'keepalived',
      '-t',
      '-f',
      file,
      '-p',
      p('k.pid'),
      '-r',
      p('v.pid'),
      '-c',
      p('c.pid'),
      '-l',
      '-D',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const output = `${res.stdout}${res.stderr}`;
  const lines = [...output.matchAll(/Line (\d+)\)/g)].map((m) => Number(m[1]));
  return { rc: res.status ?? -1, lines: [...new Set(lines)], output };
}

describe('agreement with keepalived -t', () => {
  test.each(corpus)('%s', (file) => {
    const ka = keepalivedCheck(file);
    const ours = loadConfigSync(file, { configId: 'agreement' });
    const securityOnly =
      ka.rc === KEEPALIVED_SECURITY_ONLY && /SECURITY VIOLATION/.test(ka.output) && ka.lines.length === 0;
    const kaClean = ka.rc === 0 || securityOnly;
    // Warnings about keywords floatlb parses but does not act on are floatlb's own:
    // keepalived acts on those keywords, so it has nothing to report.
    const reported = ours.diagnostics.filter((d) => !d.unsupported);
    const oursClean = reported.length === 0;
    expect({
      file,
      clean: oursClean,
      diagnostics: reported.map((d) => `${d.line}: ${d.message}`),
    }).toMatchObject({
      file,
      clean: kaClean,
    });
    // keepalived reports these and goes on (exit 5), so floatlb reports them too;
    // it refuses only what keepalived refuses (here the includea of nothing).
    if (file.includes('/agreement/bad-')) {
      expect(ka.rc).not.toBe(0);
      expect(ours.ok).toBe(!(ka.rc === 6 && !securityOnly));
    }
    if (file.includes('/agreement/ok-')) expect(ka.rc).toBe(0);
    if (file.includes('/agreement/refuse-')) {
      expect({ file, keepalived: verdictOf(ka.rc, ka.output) }).toEqual({ file, keepalived: 'refuse' });
      expect({ file, floatlbOk: ours.ok }).toEqual({ file, floatlbOk: false });
    }
    if (ka.lines.length > 0) {
      const ourLines = new Set(reported.map((d) => d.line));
      expect(ka.lines.some((l) => ourLines.has(l))).toBe(true);
    }
  });
});

// An unknown keyword's '{' is skipped by keepalived: the lines after it join
// the enclosing block, and every '}' after them closes one level higher. The
// two readings agree line by line when both name the same unknown keywords
// at the same lines, and leave the same virtual servers without real servers.
describe("an unknown keyword's block, read as keepalived reads it", () => {
  const files = ['bad-unknown-block.conf', 'bad-unknown-block-vrrp.conf'];
  test.each(files)('%s', (name) => {
    const file = join(AGREEMENT, name);
    const ka = keepalivedCheck(file);
    const kaUnknown = [...ka.output.matchAll(/Line (\d+)\) Unknown keyword '([^']*)'/g)]
      .filter((m) => m[2] !== '}')
      .map((m) => `${m[1]} ${m[2]}`);
    const ours = loadConfigSync(file, { configId: 'agreement' });
    const ourUnknown = ours.diagnostics.flatMap((d) => {
      const m = /^unknown keyword '([^']*)'/.exec(d.message);
      return m ? [`${d.line} ${m[1]}`] : [];
    });
    expect(ourUnknown).toEqual(kaUnknown);
    // keepalived's extra '}' at the top level is an "Unknown keyword '}'"
    const kaExtra = [...ka.output.matchAll(/Line (\d+)\) Unknown keyword '\}'/g)].map((m) => Number(m[1]));
    const ourExtra = ours.diagnostics.filter((d) => /^extra '\}'/.test(d.message)).map((d) => d.line);
    expect(ourExtra).toEqual(kaExtra);
    const kaEmpty = [...ka.output.matchAll(/Virtual server \[([^\]]+)\]:\w+:(\d+) has no real servers/g)].map(
      (m) => `${m[1]}:${m[2]}`,
    );
    const ourEmpty = (ours.config?.virtualServers ?? []).flatMap((vs) =>
      vs.target.kind === 'ip' && vs.realServers.length === 0
        ? [`${vs.target.address}:${vs.target.port}`]
        : [],
    );
    expect(ourEmpty).toEqual(kaEmpty);
  });
});
