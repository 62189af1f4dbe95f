import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import type { FloatlbConfig } from '../../../src/config/model.js';
import { instancesFromConfig } from '../../../src/vrrp/from-config.js';
import { planInstance } from '../../../src/vrrp/reload-plan.js';
import { GARP_DEFAULTS, garpOnLowerPrio } from '../../../src/vrrp/settings.js';

const inst = (body: string) => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  virtual_ipaddress {
    10.7.0.100/32
  }
${body}
}
`;

function cfg(text: string): FloatlbConfig {
  const r = parseConfigText(text, { file: 'f.conf' });
  if (!r.config) throw new Error('no config');
  return r.config;
}

describe('auth_type AH', () => {
  it('is refused with an error naming file:line:column, not sent without authentication', () => {
    const r = parseConfigText(inst('  authentication {\n    auth_type AH\n    auth_pass x\n  }'), {
      file: 'ah.conf',
    });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.message}`)).toEqual([
      'ah.conf:9:15 error auth_type AH is not supported: floatlb does not sign VRRPv2 adverts with an IPsec AH header; use auth_type PASS, or no authentication',
    ]);
  });
});

describe('virtual_ipaddress_excluded', () => {
  it('is held like a VIP and reloaded in place, but kept out of the advert list', () => {
    const c = (extra: string) =>
      instancesFromConfig(cfg(inst(`  virtual_ipaddress_excluded {\n${extra}  }`)))[0]!;
    const a = c('    10.7.0.150/32\n');
    expect(a.vips.map((v) => v.address)).toEqual(['10.7.0.100']);
    expect(a.excludedVips?.map((v) => v.address)).toEqual(['10.7.0.150']);
    const b = c('    10.7.0.150/32\n    10.7.0.151/32\n');
    expect(planInstance(a, b)).toMatchObject({
      action: 'update',
      changes: ['vips'],
      vipsAdded: [{ address: '10.7.0.151' }],
    });
  });
});

describe('garp_lower_prio_repeat and garp_lower_prio_delay', () => {
  it('plan the rounds sent after a lower-priority master is heard', () => {
    expect(garpOnLowerPrio({ ...GARP_DEFAULTS, lowerPrioRepeat: 2, lowerPrioDelayMs: 3000 })).toEqual([
      { atMs: 0, repeat: 2 },
      { atMs: 3000, repeat: 2 },
    ]);
    expect(garpOnLowerPrio({ ...GARP_DEFAULTS, lowerPrioRepeat: 0 })).toEqual([]);
    // Unset, they follow the global garp_master_repeat and garp_master_delay, as keepalived's defaults do.
    const g = instancesFromConfig(
      cfg(`global_defs {\n  vrrp_garp_master_repeat 2\n  vrrp_garp_master_delay 0\n}\n${inst('')}`),
    )[0]!;
    expect(g.garp).toMatchObject({ lowerPrioRepeat: 2, lowerPrioDelayMs: 0 });
    const s = instancesFromConfig(cfg(inst('  garp_lower_prio_repeat 3\n  garp_lower_prio_delay 2')))[0]!;
    expect(s.garp).toMatchObject({ lowerPrioRepeat: 3, lowerPrioDelayMs: 2000 });
  });
});
