// lvs_timeouts and lvs_flush go through the plane's LvsGlobalControl when it
// has one, and draw a warning naming the plane when it has none.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { applyLvsGlobals } from '../../../src/director/lvs-globals.js';
import type { LvsTimeouts } from '../../../src/kernel/dataplane.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';

const defs = (text: string) =>
  parseConfigText(`global_defs {\n${text}\n}\n`, { file: 'g.conf' }).config!.globalDefs;

function ipvsLike() {
  const calls: string[] = [];
  const plane = Object.assign(new FakeDataPlane(), {
    lvsGlobals: {
      getTimeouts: async (): Promise<LvsTimeouts> => ({ tcp: 900, tcpFin: 120, udp: 300 }),
      setTimeouts: async (t: LvsTimeouts) => {
        calls.push(`set ${t.tcp} ${t.tcpFin} ${t.udp}`);
      },
      flushAll: async () => {
        calls.push('flush');
      },
    },
  });
  return { plane, calls };
}

describe('global LVS settings', () => {
  it('flushes at start only, and sets timeouts in seconds (0 leaves one as it is) when they change', async () => {
    const { plane, calls } = ipvsLike();
    const g = defs('lvs_flush\nlvs_timeouts tcp 7200 udp 50');
    const first = await applyLvsGlobals(plane, g, true, null);
    expect(calls).toEqual(['flush', 'set 7200 0 50']);
    const again = await applyLvsGlobals(plane, g, false, first.timeouts);
    expect(calls).toEqual(['flush', 'set 7200 0 50']);
    await applyLvsGlobals(plane, defs('lvs_timeouts tcp 60'), false, again.timeouts);
    expect(calls).toEqual(['flush', 'set 7200 0 50', 'set 60 0 0']);
  });

  it('does nothing without the keywords', async () => {
    const { plane, calls } = ipvsLike();
    expect(await applyLvsGlobals(plane, defs(''), true, null)).toEqual({ timeouts: null, warnings: [] });
    expect(calls).toEqual([]);
  });

  it('says so when the plane has no such settings', async () => {
    const plane = Object.assign(new FakeDataPlane(), { kind: 'nftables' as const });
    const r = await applyLvsGlobals(plane, defs('lvs_flush\nlvs_timeouts tcp 10'), true, null);
    expect(r.warnings).toEqual([
      'lvs_flush: the nftables plane has no IPVS table to flush; nothing was removed',
      "lvs_timeouts: the nftables plane has no IPVS connection timeouts; not applied (conntrack's own timeouts hold)",
    ]);
  });
});
