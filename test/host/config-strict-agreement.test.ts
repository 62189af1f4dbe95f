// vrrp_strict, case by case, against Debian's keepalived 2.2.7: each config
// goes to `keepalived -t` in a namespace that has eth0, and to floatlb's
// loader. Where keepalived reports the setting (and resets it), floatlb warns
// at the line of that setting; where keepalived is silent, so is floatlb;
// where keepalived's VRRP process exits, floatlb refuses the file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { loadConfigSync } from '../../src/config/index.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

const VIP = '  virtual_ipaddress {\n    10.0.0.1/24\n  }';

interface Case {
  /** Instance lines after interface and virtual_router_id (line 7 on). */
  readonly body: string;
  /** keepalived's report; null: keepalived -t is clean. */
  readonly keepalived: RegExp | null;
  /** The keyword floatlb's warning points at (its first line in the body), or 'refused'. */
  readonly floatlb: string | 'refused' | null;
}

const CASES: Record<string, Case> = {
  'state MASTER without priority 255': {
    body: `  priority 100\n  state MASTER\n${VIP}`,
    keepalived: /State MASTER must match being address owner/,
    floatlb: 'state',
  },
  authentication: {
    body: `  priority 100\n${VIP}\n  authentication {\n    auth_type PASS\n    auth_pass secret\n  }`,
    keepalived: /Strict mode does not support authentication/,
    floatlb: 'authentication',
  },
  'IPv6 with version 2': {
    body: '  priority 100\n  version 2\n  virtual_ipaddress {\n    fe80::1/64\n  }',
    keepalived: /cannot use IPv6 with VRRP version 2/,
    floatlb: 'version',
  },
  'first IPv6 VIP not link local': {
    body: '  priority 100\n  virtual_ipaddress {\n    2001:db8::1/64\n  }',
    keepalived: /the first IPv6 VIP address must be link local/,
    floatlb: 'virtual_ipaddress',
  },
  preempt_delay: {
    body: `  priority 100\n  preempt_delay 5\n${VIP}`,
    keepalived: /preempt_delay is incompatible with strict mode/,
    floatlb: 'preempt_delay',
  },
  'accept with version 2': {
    body: `  priority 100\n  accept\n${VIP}`,
    keepalived: /accept mode for VRRP version 2 does not comply with RFC3768/,
    floatlb: 'accept',
  },
  vmac_xmit_base: {
    body: `  priority 100\n  use_vmac\n  vmac_xmit_base\n${VIP}`,
    keepalived: /xmit_base is incompatible with strict mode/,
    floatlb: 'vmac_xmit_base',
  },
  garp_lower_prio_repeat: {
    body: `  priority 100\n  garp_lower_prio_repeat 2\n${VIP}`,
    keepalived: /Strict mode requires no repeat garps/,
    floatlb: 'garp_lower_prio_repeat',
  },
  'lower_prio_no_advert off': {
    body: `  priority 100\n  lower_prio_no_advert false\n${VIP}`,
    keepalived: /Strict mode requires no lower priority advert/,
    floatlb: 'lower_prio_no_advert',
  },
  'no VIP': {
    body: '  priority 100',
    keepalived: /No VIP specified; at least one is required/,
    floatlb: 'refused',
  },
  // Allowed by 2.2.7 despite its documentation: the unicast check runs before the instance is marked unicast.
  'unicast peers': {
    body: `  priority 100\n${VIP}\n  unicast_peer {\n    10.0.0.9\n  }`,
    keepalived: null,
    floatlb: null,
  },
  '30 VIPs in version 2': {
    body: `  priority 100\n  virtual_ipaddress {\n${Array.from({ length: 30 }, (_, i) => `    10.0.1.${i + 1}/24`).join('\n')}\n  }`,
    keepalived: null,
    floatlb: null,
  },
  'accept with version 3': {
    body: `  priority 100\n  version 3\n  accept\n${VIP}`,
    keepalived: null,
    floatlb: null,
  },
  'strict_mode off in the instance': {
    body: `  priority 100\n  strict_mode off\n  preempt_delay 5\n${VIP}`,
    keepalived: null,
    floatlb: null,
  },
};

const text = (c: Case) =>
  `global_defs {\n  vrrp_strict\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n${c.body}\n}\n`;

let ns: Netns;
let dir: string;

beforeAll(() => {
  requireRoot();
  requireTool('keepalived');
  ns = testNetns('strict');
  ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'strictp0');
  ns.ip('link', 'set', 'eth0', 'up');
  dir = mkdtempSync(join(tmpdir(), 'floatlb-strict-'));
});

afterAll(() => {
  ns?.delete();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function keepalived(file: string, check: boolean): { rc: number; output: string } {
  const p = (n: string) => join(dir, n);
  const res = spawnSync(
    'ip',
    [
      ...['netns', 'exec', ns.name, 'keepalived', ...(check ? ['-t'] : []), '-f', file],
      ...['-p', p('k.pid'), '-r', p('v.pid'), '-c', p('c.pid'), '-l', '-D', '-n', '--vrrp'],
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { rc: res.status ?? -1, output: `${res.stdout}${res.stderr}` };
}

describe('vrrp_strict agrees with keepalived 2.2.7', () => {
  test.each(Object.entries(CASES))('%s', (name, c) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.conf`);
    writeFileSync(file, text(c));
    const ka = keepalived(file, true);
    const ours = loadConfigSync(file, { configId: 'strict' });
    const reported = ours.diagnostics.filter((d) => !d.unsupported);
    if (c.keepalived === null) {
      expect({ rc: ka.rc, reported }).toEqual({ rc: 0, reported: [] });
      return;
    }
    expect(ka.output).toMatch(c.keepalived);
    expect(ka.rc).not.toBe(0);
    if (c.floatlb === 'refused') {
      expect(ours.ok).toBe(false);
      // keepalived -t only reports it; run for real, its VRRP process exits on it.
      const run = keepalived(file, false);
      expect(run.output).toMatch(/exited with permanent error CONFIG/);
      return;
    }
    expect(ours.ok).toBe(true);
    const line =
      text(c)
        .split('\n')
        .findIndex((l) => l.trim().split(/\s/)[0] === c.floatlb) + 1;
    expect(reported.map((d) => `${d.line}:${d.severity}`)).toContain(`${line}:warning`);
  });
});
