import { describe, expect, it } from 'vitest';
import { judgeExit } from '../../../src/health/probes/misc.js';
import { judgeUdpReply } from '../../../src/health/probes/udp.js';
import { splitCommand } from '../../../src/health/script.js';
import { insecureReason, pathChain, type StatFn } from '../../../src/health/script-security.js';
import { resolveTiming } from '../../../src/health/types.js';
import { parseGroup, parsePasswd } from '../../../src/health/users.js';

function fakeFs(entries: Record<string, { uid?: number; gid?: number; mode: number }>): StatFn {
  return (p) => {
    const e = entries[p];
    if (!e) throw new Error(`no such path ${p}`);
    return { uid: e.uid ?? 0, gid: e.gid ?? 0, mode: e.mode };
  };
}

describe('script security', () => {
  it('walks the path from the file up to /', () => {
    expect(pathChain('/etc/keepalived/check.sh')).toEqual([
      '/etc/keepalived/check.sh',
      '/etc/keepalived',
      '/etc',
      '/',
    ]);
  });

  const base = { '/': { mode: 0o40755 }, '/etc': { mode: 0o40755 }, '/etc/k': { mode: 0o40755 } };

  it('accepts a root-owned script in root-owned, non-writable directories', () => {
    expect(insecureReason('/etc/k/c.sh', fakeFs({ ...base, '/etc/k/c.sh': { mode: 0o100755 } }))).toBeNull();
  });

  it('refuses a script owned by a non-root user', () => {
    expect(
      insecureReason('/etc/k/c.sh', fakeFs({ ...base, '/etc/k/c.sh': { uid: 1000, mode: 0o100755 } })),
    ).toBe('/etc/k/c.sh is owned by uid 1000');
  });

  it('refuses group- or world-writable files and directories', () => {
    expect(
      insecureReason('/etc/k/c.sh', fakeFs({ ...base, '/etc/k/c.sh': { gid: 50, mode: 0o100775 } })),
    ).toBe('/etc/k/c.sh is writable by group 50');
    // Group-writable by root's group is fine.
    expect(
      insecureReason('/etc/k/c.sh', fakeFs({ ...base, '/etc/k/c.sh': { gid: 0, mode: 0o100775 } })),
    ).toBeNull();
    expect(
      insecureReason(
        '/etc/k/c.sh',
        fakeFs({ ...base, '/etc/k': { mode: 0o40777 }, '/etc/k/c.sh': { mode: 0o100755 } }),
      ),
    ).toBe('/etc/k is world-writable');
    expect(
      insecureReason(
        '/etc/k/c.sh',
        fakeFs({ ...base, '/etc': { uid: 1000, mode: 0o40755 }, '/etc/k/c.sh': { mode: 0o100755 } }),
      ),
    ).toBe('/etc is owned by uid 1000');
  });

  it('accepts a sticky world-writable directory only above a root-owned entry', () => {
    const tmp = { '/': { mode: 0o40755 }, '/tmp': { mode: 0o41777 } };
    expect(insecureReason('/tmp/c.sh', fakeFs({ ...tmp, '/tmp/c.sh': { mode: 0o100755 } }))).toBeNull();
    expect(insecureReason('/tmp/c.sh', fakeFs({ ...tmp, '/tmp/c.sh': { uid: 7, mode: 0o100755 } }))).toBe(
      '/tmp/c.sh is owned by uid 7',
    );
    expect(insecureReason('/tmp', fakeFs(tmp))).toBe('/tmp is world-writable');
  });
});

describe('MISC_CHECK exit codes', () => {
  it('maps 0 up, 1 down, 2..255 to weight code-2 only with misc_dynamic', () => {
    expect(judgeExit(0, false)).toEqual({ ok: true });
    expect(judgeExit(1, true)).toEqual({ ok: false });
    expect(judgeExit(2, true)).toEqual({ ok: true, weight: 0 });
    expect(judgeExit(255, true)).toEqual({ ok: true, weight: 253 });
    expect(judgeExit(12, false)).toEqual({ ok: false });
  });

  it('splits command lines with quotes', () => {
    expect(splitCommand('/usr/local/bin/check "a b" \'c\' d')).toEqual([
      '/usr/local/bin/check',
      'a b',
      'c',
      'd',
    ]);
    expect(splitCommand('  x   ""  ')).toEqual(['x', '']);
    expect(() => splitCommand('x "y')).toThrow(/unterminated/);
  });
});

describe('UDP reply judging', () => {
  it('applies require_reply as a prefix and the length bounds', () => {
    const spec = { type: 'UDP_CHECK' as const, requireReply: new Uint8Array([0x50, 0x4f]) };
    expect(judgeUdpReply(spec, Buffer.from('PONG'))).toBeNull();
    expect(judgeUdpReply(spec, Buffer.from('PIN'))).toBe('reply differs at byte 1');
    expect(judgeUdpReply(spec, Buffer.from('P'))).toBe('reply shorter than require_reply');
    expect(judgeUdpReply({ type: 'UDP_CHECK', maxReplyLength: 3 }, Buffer.from('PONG'))).toBe(
      'reply length 4 outside 0..3',
    );
  });
});

describe('timing defaults (keepalived.conf(5))', () => {
  it('fills per-type retry, delay_before_retry and warmup', () => {
    expect(resolveTiming({ type: 'TCP_CHECK' })).toEqual({
      connectTimeout: 5000,
      retry: 1,
      delayBeforeRetry: 1000,
      warmup: 60000,
      delayLoop: 60000,
      rise: 1,
      fall: 1,
    });
    expect(resolveTiming({ type: 'HTTP_GET', url: [] }).delayBeforeRetry).toBe(3000);
    expect(resolveTiming({ type: 'DNS_CHECK', delayLoop: 5000 })).toMatchObject({
      retry: 3,
      delayBeforeRetry: 5000,
    });
    expect(resolveTiming({ type: 'MISC_CHECK', miscPath: 'x' }).retry).toBe(0);
  });
});

describe('passwd/group parsing', () => {
  it('reads names and ids', () => {
    expect(
      parsePasswd('root:x:0:0:root:/root:/bin/bash\n# c\nnobody:x:65534:65534::/:/usr/sbin/nologin\n'),
    ).toEqual([
      { name: 'root', uid: 0, gid: 0 },
      { name: 'nobody', uid: 65534, gid: 65534 },
    ]);
    expect(parseGroup('root:x:0:\nnogroup:x:65534:\n').get('nogroup')).toBe(65534);
  });
});
