import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import type { VrrpTrackProcess } from '../../../src/config/model.js';
import { parseCmdline, parseStat } from '../../../src/kernel/proc-scan.js';
import { type SpeakerHandle, VrrpManager } from '../../../src/vrrp/manager.js';
import {
  countMatching,
  matchesProcess,
  type ProcInfo,
  quorumUp,
  stepProcess,
} from '../../../src/vrrp/track-process.js';

afterEach(() => vi.useRealTimers());

const def = (over: Partial<VrrpTrackProcess> = {}): VrrpTrackProcess => ({
  name: 'p',
  process: 'haproxy',
  params: [],
  paramMatch: null,
  matchParams: false,
  fullCommand: false,
  quorum: 1,
  quorumMax: 65535,
  weight: 1,
  weightReverse: false,
  forkDelay: 0,
  terminateDelay: 0,
  ...over,
});
const proc = (comm: string, ...argv: string[]): ProcInfo => ({ comm, argv });

describe('matching a process', () => {
  it('matches the name exactly, never as a pattern (like pgrep "^name$")', () => {
    expect(matchesProcess(def({ process: 'ssh' }), proc('ssh', '/usr/bin/ssh', 'x'))).toBe(true);
    expect(matchesProcess(def({ process: 'ssh' }), proc('sshd', '/usr/sbin/sshd'))).toBe(false);
    // comm holds 15 bytes: a longer name matches by its first 15.
    expect(matchesProcess(def({ process: 'a-very-long-process' }), proc('a-very-long-pro'))).toBe(true);
  });

  it('full_command matches argv[0]; parameters exactly, partially or by their start', () => {
    const hp = proc('haproxy', '/usr/sbin/haproxy', '-f', '/etc/haproxy.cfg', '-Ws');
    expect(matchesProcess(def({ process: '/usr/sbin/haproxy', fullCommand: true }), hp)).toBe(true);
    expect(matchesProcess(def({ process: 'haproxy', fullCommand: true }), hp)).toBe(false);
    const withParams = (paramMatch: VrrpTrackProcess['paramMatch'], ...params: string[]) =>
      def({ process: '/usr/sbin/haproxy', params, paramMatch, matchParams: true });
    expect(matchesProcess(withParams(null, '-f', '/etc/haproxy.cfg', '-Ws'), hp)).toBe(true);
    expect(matchesProcess(withParams(null, '-f', '/etc/haproxy.cfg'), hp)).toBe(false);
    expect(matchesProcess(withParams('partial', '-f', '/etc/haproxy.cfg'), hp)).toBe(true);
    expect(matchesProcess(withParams('partial', '-f', '/etc/hap'), hp)).toBe(false);
    expect(matchesProcess(withParams('initial', '-f', '/etc/hap'), hp)).toBe(true);
    expect(matchesProcess(withParams('initial', '-x'), hp)).toBe(false);
    // param_match with no parameters: the command must have none.
    expect(matchesProcess(withParams(null), hp)).toBe(false);
    expect(matchesProcess(withParams(null), proc('haproxy', '/usr/sbin/haproxy'))).toBe(true);
  });

  it('counts matches and holds the count against [quorum, quorum_max]', () => {
    const list = [proc('nginx'), proc('nginx'), proc('nginx-debug'), proc('bash')];
    expect(countMatching(def({ process: 'nginx' }), list)).toBe(2);
    const d = def({ quorum: 2, quorumMax: 3 });
    expect([0, 1, 2, 3, 4].map((n) => quorumUp(d, n))).toEqual([false, false, true, true, false]);
    expect([0, 1].map((n) => quorumUp(def({ quorum: 0, quorumMax: 0 }), n))).toEqual([true, false]);
  });
});

describe('delay', () => {
  it('takes a loss after terminate_delay, a gain after fork_delay; a swing back cancels', () => {
    const d = def({ terminateDelay: 2000, forkDelay: 500 });
    let s = stepProcess(d, { up: true, pending: null }, false, 1000);
    expect(s).toEqual({ up: true, pending: { to: false, at: 3000 } });
    expect(stepProcess(d, s, false, 2999).up).toBe(true);
    expect(stepProcess(d, s, true, 2000)).toEqual({ up: true, pending: null });
    s = stepProcess(d, s, false, 3000);
    expect(s).toEqual({ up: false, pending: null });
    s = stepProcess(d, s, true, 4000);
    expect(s.up).toBe(false);
    expect(stepProcess(d, s, true, 4500)).toEqual({ up: true, pending: null });
    // No delay: at once.
    expect(stepProcess(def(), { up: true, pending: null }, false, 0)).toEqual({ up: false, pending: null });
  });
});

describe('/proc parsing', () => {
  it('reads comm and state from stat, whatever the name holds', () => {
    expect(parseStat('42 (my (odd) name) S 1 42 42 0')).toEqual({ comm: 'my (odd) name', state: 'S' });
    expect(parseStat('garbage')).toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }), fc.constantFrom('R', 'S', 'Z', 'D'), (comm, st) => {
        expect(parseStat(`7 (${comm}) ${st} 1 2 3`)).toEqual({ comm, state: st });
      }),
    );
    expect(parseCmdline('/bin/sleep\u0000100\u0000')).toEqual(['/bin/sleep', '100']);
    expect(parseCmdline('')).toEqual([]);
  });
});

const CONF = `
vrrp_track_process web {
  process fltweb
  quorum 2
  weight -30
  delay 1.5
}
vrrp_track_process must {
  process "/usr/sbin/haproxy" -f /etc/h.cfg
  param_match partial
  weight 0
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  virtual_ipaddress {
    10.0.0.200/24
  }
  track_process {
    web
    must
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 150
  virtual_ipaddress {
    10.0.0.201/24
  }
  track_process {
    web weight 10 reverse
  }
}
`;

describe('vrrp_track_process config', () => {
  it('takes param_match alone as an exact match of the full command line, as keepalived does', () => {
    const r = parseConfigText('vrrp_track_process sshd {\n  process /usr/sbin/sshd\n  param_match\n}\n', {
      file: 'q.conf',
    });
    expect(r.diagnostics).toEqual([]);
    const [p] = r.config!.vrrpTrackProcesses;
    expect([p?.paramMatch, p?.matchParams, p?.fullCommand]).toEqual([null, true, true]);
    // An unknown type is reported and ignored (keepalived: "Invalid param_match type ... - ignoring").
    const bad = parseConfigText(
      'vrrp_track_process sshd {\n  process /usr/sbin/sshd\n  param_match exact\n}\n',
      {
        file: 'q.conf',
      },
    );
    expect(bad.ok).toBe(true);
    expect(bad.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      "3:15 invalid param_match 'exact': expected one of initial|partial; ignored",
    ]);
    const [q] = bad.config!.vrrpTrackProcesses;
    expect([q?.matchParams, q?.fullCommand]).toEqual([false, false]);
  });

  it('reads the block and the per-reference weight', () => {
    const r = parseConfigText(CONF, { file: 'p.conf' });
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.vrrpTrackProcesses).toEqual([
      def({ name: 'web', process: 'fltweb', quorum: 2, weight: -30, forkDelay: 1500, terminateDelay: 1500 }),
      def({
        name: 'must',
        process: '/usr/sbin/haproxy',
        params: ['-f', '/etc/h.cfg'],
        paramMatch: 'partial',
        matchParams: true,
        // keepalived: any param_match compares the full command line.
        fullCommand: true,
        weight: 0,
      }),
    ]);
    expect(r.config?.vrrpInstances[1]?.trackProcess).toEqual([{ name: 'web', weight: 10, reverse: true }]);
  });

  it('warns of a bad block at file:line:column as keepalived does, and of an unknown reference', () => {
    const text =
      'vrrp_track_process a {\n  quorum 1\n}\nvrrp_track_process b {\n  process x\n  quorum 3\n  quorum_max 2\n  param_match full\n}\n' +
      'vrrp_instance V {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.1\n  }\n  track_process {\n    nope\n  }\n}\n';
    const r = parseConfigText(text, { file: 'bad.conf' });
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.message}`)).toEqual([
      '1:1 warning vrrp_track_process a has no process; dropped: instances that track it ignore it',
      '4:1 warning vrrp_track_process b: quorum_max 2 is below quorum 3; quorum_max ignored',
      "8:15 warning invalid param_match 'full': expected one of initial|partial; ignored",
      '10:1 warning vrrp_instance V tracks unknown vrrp_track_process nope',
    ]);
  });
});

describe('VrrpManager with track_process', () => {
  it('feeds the quorum result with its weight after the delay, and fault for weight 0', async () => {
    vi.useFakeTimers();
    const tracks = new Map<string, Array<[string, boolean, number]>>();
    let procs: ProcInfo[] = [
      proc('fltweb'),
      proc('fltweb'),
      proc('haproxy', '/usr/sbin/haproxy', '-f', '/etc/h.cfg', '-Ws'),
    ];
    const seen: boolean[] = [];
    const m = new VrrpManager(parseConfigText(CONF, { file: 'p.conf' }).config!, {
      createSpeaker: async (s) => {
        const t: Array<[string, boolean, number]> = [];
        tracks.set(s.name, t);
        return {
          machine: { state: 'BACKUP', priority: 150, master: null, stats: {}, faultedBy: () => [] },
          stats: {},
          start() {},
          async stop() {},
          track: (n: string, up: boolean, w: number) => void t.push([n, up, w]),
          untrack() {},
          sync() {},
          reconfigure() {},
        } as unknown as SpeakerHandle;
      },
      linkUp: async () => true,
      runTrackScript: async () => true,
      listProcesses: async (cmdline) => {
        seen.push(cmdline);
        return procs;
      },
      processPollMs: 500,
    });
    await m.start();
    expect(seen[0]).toBe(true); // 'must' matches parameters: the command lines are read
    expect(tracks.get('VI_1')).toEqual([
      ['process:web', true, -30],
      ['process:must', true, 0],
    ]);
    expect(tracks.get('VI_2')).toEqual([['process:web', true, -10]]);
    procs = procs.slice(1); // one fltweb left: below quorum 2
    await vi.advanceTimersByTimeAsync(1500); // the scan at 500 ms starts the 1.5 s delay
    expect(tracks.get('VI_1')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(600);
    expect(tracks.get('VI_1')!.at(-1)).toEqual(['process:web', false, -30]);
    expect(tracks.get('VI_2')!.at(-1)).toEqual(['process:web', false, -10]);
    procs = [proc('fltweb'), proc('fltweb')]; // haproxy gone: weight 0 means FAULT
    await vi.advanceTimersByTimeAsync(500);
    expect(tracks.get('VI_1')!.at(-1)).toEqual(['process:must', false, 0]);
    await m.stop();
  });

  it('a reload that changes a tracker swaps it without a new result; a removed one is unbound', async () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    const procs = [proc('fltweb'), proc('fltweb'), proc('haproxy', '/usr/sbin/haproxy', '-f', '/etc/h.cfg')];
    const m = new VrrpManager(parseConfigText(CONF, { file: 'p.conf' }).config!, {
      createSpeaker: async (s) =>
        ({
          machine: { state: 'BACKUP', priority: 150, master: null, stats: {}, faultedBy: () => [] },
          stats: {},
          start() {},
          async stop() {},
          track: (n: string, up: boolean, w: number) => void calls.push(`${s.name} ${n} ${up} ${w}`),
          untrack: (n: string) => void calls.push(`${s.name} untrack ${n}`),
          sync() {},
          reconfigure() {},
        }) as unknown as SpeakerHandle,
      linkUp: async () => true,
      runTrackScript: async () => true,
      listProcesses: async () => procs,
    });
    await m.start();
    calls.length = 0;
    // A longer delay for web, and must no longer tracked by VI_1.
    const next = CONF.replace('delay 1.5', 'delay 3').replace('    web\n    must\n', '    web\n');
    await m.update(parseConfigText(next, { file: 'p.conf' }).config!);
    await vi.advanceTimersByTimeAsync(2000);
    // The replaced tracker is fed its carried result once (same value), nothing moves.
    expect(calls.filter((c) => c.includes('false'))).toEqual([]);
    expect(calls).toContain('VI_1 untrack process:must');
    await m.stop();
  });
});
