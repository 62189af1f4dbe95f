// Unit tier: adapters/lib/common.sh under dash (Debian's /bin/sh), function by
// function. Address literals are checked against Node's net.isIP, and the
// rules that turn the directors' answers into exit codes are checked as a
// table, with no director involved.
import { execFileSync } from 'node:child_process';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const LIB = resolve(import.meta.dirname, '../../../adapters/lib/common.sh');

function sh(body: string, ...args: string[]): string {
  return execFileSync('dash', ['-c', `set -u; . "${LIB}"; ${body}`, 'sh', ...args], { encoding: 'utf8' });
}

/** Valid/invalid for many literals in one dash process. */
function accepts(literals: readonly string[]): boolean[] {
  const out = sh('for a in "$@"; do if adapt_is_ip "$a"; then echo 1; else echo 0; fi; done', ...literals);
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l === '1');
}

describe('address literals', () => {
  const valid = [
    '192.168.0.50',
    '0.0.0.0',
    '255.255.255.255',
    '10.0.0.1',
    '2001:db8::50',
    '2001:DB8::50',
    '::',
    '::1',
    '1::',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '::ffff:192.168.0.1',
    '::192.168.0.1',
    '1:2:3:4:5:6:192.168.0.1',
    'fe80::1',
  ];
  const invalid = [
    '',
    ' 192.168.0.50',
    '192.168.0.50 ',
    '192.168.0',
    '192.168.0.50.1',
    '192.168.0.256',
    '192.168.00.50',
    '192.168.0.050',
    '-1.2.3.4',
    '1.2.3.4/32',
    '1.2.3.4:80',
    '1..2.3',
    '.1.2.3',
    'localhost',
    '2001:db8::50::1',
    ':::',
    ':1',
    '1:',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '12345::',
    'g::',
    'fe80::1%eth0',
    '[2001:db8::50]',
    '2001:db8::/64',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3',
    '::1.2.3.256',
    '1.2.3.4::',
    '*',
    '$(id)',
  ];

  it('accepts IPv4 and IPv6 literals', () => {
    expect(accepts(valid)).toEqual(valid.map(() => true));
    for (const v of valid) expect(isIP(v), v).not.toBe(0);
  });

  it('rejects anything else, including zone indexes, brackets and prefixes', () => {
    expect(accepts(invalid)).toEqual(invalid.map(() => false));
  });

  it('agrees with net.isIP on generated IPv6 text (every compression, IPv4 tails)', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    const v6 = fc
      .tuple(
        fc.array(group, { minLength: 8, maxLength: 8 }),
        fc.nat(8),
        fc.nat(8),
        fc.boolean(),
        fc.boolean(),
        fc.ipV4(),
      )
      .map(([g, i, j, v4tail, upper, v4]) => {
        const groups = v4tail ? g.slice(0, 6) : g;
        const [lo, hi] = [Math.min(i, j, groups.length), Math.min(Math.max(i, j), groups.length)];
        const text =
          hi > lo ? `${groups.slice(0, lo).join(':')}::${groups.slice(hi).join(':')}` : groups.join(':');
        const withTail = v4tail ? (text.endsWith(':') ? `${text}${v4}` : `${text}:${v4}`) : text;
        return upper ? withTail.toUpperCase() : withTail;
      });
    const samples = fc.sample(v6, 300);
    const got = accepts(samples);
    samples.forEach((s, k) => {
      expect({ s, ok: got[k] }).toEqual({ s, ok: isIP(s) !== 0 });
    });
  });

  it('agrees with net.isIP on mutated literals (no zone indexes)', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''));
    const text = fc.array(alphabet, { minLength: 1, maxLength: 24 }).map((a) => a.join(''));
    const seeds = fc.oneof(text, fc.ipV4(), fc.ipV6());
    const samples = fc.sample(seeds, 500);
    const got = accepts(samples);
    samples.forEach((s, k) => {
      expect({ s, ok: got[k] }).toEqual({ s, ok: isIP(s) !== 0 });
    });
  });
});

describe('argument parsing', () => {
  const parse = (...args: string[]) =>
    sh(
      'adapt_script=t.sh; if adapt_parse "$@"; then echo "ok $adapt_lb $adapt_target"; else echo "err $adapt_error"; fi',
      ...args,
    ).trim();

  it('takes exactly -lb LBIP TARGETIP', () => {
    expect(parse('-lb', '192.168.0.50', '192.168.1.2')).toBe('ok 192.168.0.50 192.168.1.2');
    expect(parse('-lb', '2001:db8::50', '2001:db8::2')).toBe('ok 2001:db8::50 2001:db8::2');
  });

  it('names what is wrong', () => {
    expect(parse('-lb', '192.168.0.50')).toBe(
      'err expected exactly 3 arguments (-lb <LB IP> <target IP>), got 2',
    );
    expect(parse('-b', '1.2.3.4', '1.2.3.5')).toBe('err first argument must be -lb');
    expect(parse('-lb', 'x', '1.2.3.5')).toBe('err LB IP is not an IPv4 or IPv6 address literal');
    expect(parse('-lb', '1.2.3.4', 'x')).toBe('err target IP is not an IPv4 or IPv6 address literal');
  });

  it('makes hostile arguments printable for the log', () => {
    const out = sh('adapt_safe_args "$@"; printf %s "$_cap"', '-lb', '1.2.3.4"; rm -rf /', 'a\nb$(id)');
    expect(out).toBe('-lb 1.2.3.4?? rm -rf / a?b??id?');
  });
});

describe('combining the directors answers', () => {
  type Answer = [status: string, curl: string, body: string];
  const running: Answer = [
    '200',
    '0',
    '{"vip": "1.2.3.4","node": "1.2.3.5","state": "running","reason": "x"}',
  ];
  const abnormal: Answer = ['200', '0', '{"state": "abnormal","reason": "fails health checks on port 80"}'];
  const stopped: Answer = ['200', '0', '{"state": "stopped","reason": "not linked"}'];
  const unknown: Answer = ['404', '0', '{"error": "no virtual server answers on 1.2.3.4"}'];
  const denied: Answer = ['403', '0', '{"error": "uid 65534 is not in an allowed group"}'];
  const broken: Answer = ['500', '0', '{"error": "boom"}'];
  const down: Answer = ['000', '7', ''];

  function verdict(fn: 'adapt_verdict_check' | 'adapt_verdict_change', answers: Answer[]): string {
    const lines = answers.map(([s, c, b], i) => `${s} ${c} /run/d${i}.sock ${b}`).join('\n');
    return sh(
      `adapt_action=link; adapt_answers="$1
"; ${fn}; echo "$adapt_code $adapt_result"`,
      lines,
    ).trim();
  }

  const checkRows: Array<[string, Answer[], number]> = [
    ['one director: running', [running], 0],
    ['one director: abnormal', [abnormal], 1],
    ['one director: stopped', [stopped], 2],
    ['one director: LB IP unknown', [unknown], 3],
    ['one director: unreachable', [down], 3],
    ['one director: caller refused', [denied], 3],
    ['one director: internal error', [broken], 3],
    ['pair agrees: running', [running, running], 0],
    ['pair agrees: stopped', [stopped, stopped], 2],
    ['pair agrees: abnormal', [abnormal, abnormal], 1],
    ['pair disagrees: running/stopped', [running, stopped], 1],
    ['pair disagrees: stopped/running', [stopped, running], 1],
    ['pair disagrees: running/abnormal', [running, abnormal], 1],
    ['pair disagrees on the pool: running/unknown', [running, unknown], 1],
    ['pair disagrees on the pool: unknown/stopped', [unknown, stopped], 1],
    ['one of the pair down: running', [down, running], 0],
    ['one of the pair down: stopped', [stopped, down], 2],
    ['one of the pair down: abnormal', [abnormal, down], 1],
    ['pair down', [down, down], 3],
    ['pair: LB IP unknown to both', [unknown, unknown], 3],
    ['pair: unknown and down', [unknown, down], 3],
  ];
  it.each(checkRows)('checkLB: %s -> %i', (_what, answers, code) => {
    expect(verdict('adapt_verdict_check', answers)).toMatch(new RegExp(`^${code} `));
  });

  const changeRows: Array<[string, Answer[], number]> = [
    ['one director applied', [running], 0],
    ['one director applied, the node is unhealthy', [abnormal], 0],
    ['LB IP unknown', [unknown], 1],
    ['caller refused', [denied], 1],
    ['internal error', [broken], 1],
    ['unreachable', [down], 1],
    ['pair applied', [running, running], 0],
    ['one of the pair down', [down, running], 0],
    ['one of the pair refuses', [running, unknown], 1],
    ['pair down', [down, down], 1],
  ];
  it.each(changeRows)('link/unlink: %s -> %i', (_what, answers, code) => {
    expect(verdict('adapt_verdict_change', answers)).toMatch(new RegExp(`^${code} `));
  });

  it('says why, naming each director', () => {
    expect(verdict('adapt_verdict_check', [running, stopped])).toBe(
      '1 abnormal: directors disagree: /run/d0.sock: running; /run/d1.sock: stopped',
    );
    expect(verdict('adapt_verdict_change', [down, unknown])).toBe(
      '1 link failed: /run/d0.sock unreachable (curl 7); /run/d1.sock refused with HTTP 404: no virtual server answers on 1.2.3.4',
    );
  });
});
