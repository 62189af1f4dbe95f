// Unit tier: adapters/lib/common.sh under dash (Debian's /bin/sh), function by
// function: the shape of the arguments, and the rules that turn the
// directors' plain-text answers into exit codes, as a table with no director
// involved. The addresses themselves are validated by the director
// (test/unit/api/routes.test.ts).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const LIB = resolve(import.meta.dirname, '../../../adapters/lib/common.sh');

function sh(body: string, ...args: string[]): string {
  return execFileSync('dash', ['-c', `set -u; . "${LIB}"; ${body}`, 'sh', ...args], { encoding: 'utf8' });
}

describe('argument parsing', () => {
  const parse = (...args: string[]) =>
    sh(
      'adapt_script=t.sh; if adapt_parse "$@"; then echo ok; else echo "err $adapt_error"; fi',
      ...args,
    ).trim();

  it('takes exactly -lb LBIP TARGETIP, passing any address-like text on to the director', () => {
    expect(parse('-lb', '192.168.0.50', '192.168.1.2')).toBe('ok');
    expect(parse('-lb', '2001:db8::50', '2001:DB8::2')).toBe('ok');
    expect(parse('-lb', '::ffff:1.2.3.4', '192.168.00.50')).toBe('ok');
  });

  it('names what is wrong, and keeps anything that could change the request path away from curl', () => {
    expect(parse('-lb', '192.168.0.50')).toBe(
      'err expected exactly 3 arguments (-lb <LB IP> <target IP>), got 2',
    );
    expect(parse('-b', '1.2.3.4', '1.2.3.5')).toBe('err first argument must be -lb');
    for (const bad of [
      'x',
      '',
      '1.2.3.4/32',
      '../../v1/reload',
      '1.2.3.4?x',
      'fe80::1%eth0',
      '[::1]',
      '1.2.3.4 ',
    ])
      expect(parse('-lb', bad, '1.2.3.5'), bad).toBe('err LB IP is not an IPv4 or IPv6 address literal');
    expect(parse('-lb', '1.2.3.4', 'x#')).toBe('err target IP is not an IPv4 or IPv6 address literal');
  });

  it('quotes log values so that no value forges a field', () => {
    const out = sh('adapt_logval "$1"; printf %s "$_lv"', 'say "hi" d1.http=200');
    expect(out).toBe(`"say 'hi' d1.http=200"`);
    expect(sh('adapt_logval "$1" 5; printf %s "$_lv"', 'abcdefgh')).toBe('"abcde..."');
  });
});

describe('combining the directors answers', () => {
  type Answer = [status: string, curl: string, body: string];
  const running: Answer = ['200', '0', 'running'];
  const abnormal: Answer = ['200', '0', 'abnormal'];
  const stopped: Answer = ['200', '0', 'stopped'];
  const unknown: Answer = ['404', '0', 'no virtual server answers on 1.2.3.4'];
  const denied: Answer = ['403', '0', 'uid 65534 is not in an allowed group'];
  const broken: Answer = ['500', '0', 'boom'];
  const garbled: Answer = ['200', '0', '<html>proxy</html>'];
  const malformed: Answer = ['400', '0', 'LB IP "1.2.3.04" is not an IPv4 or IPv6 address'];
  const down: Answer = ['000', '7', ''];

  function verdict(fn: 'adapt_verdict_check' | 'adapt_verdict_change', answers: Answer[]): string {
    const lines = answers.map(([s, c, b], i) => `${s} ${c} /run/d${i}.sock ${b}`).join('\n');
    const action = fn === 'adapt_verdict_check' ? 'check' : 'link';
    return sh(
      `adapt_action=${action}; adapt_answers="$1
"; adapt_verdict; echo "$adapt_code $adapt_result"`,
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
    ['one director: 200 without a state', [garbled], 3],
    ['one director: malformed arguments', [malformed], 3],
    ['pair: malformed arguments', [malformed, malformed], 3],
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
  it.each(checkRows.map(([w, a, c]) => [w, c, a] as const))('checkLB: %s -> %i', (_what, code, answers) => {
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
    ['malformed arguments', [malformed], 1],
    ['malformed arguments, one of the pair down', [down, malformed], 1],
  ];
  it.each(
    changeRows.map(([w, a, c]) => [w, c, a] as const),
  )('link/unlink: %s -> %i', (_what, code, answers) => {
    expect(verdict('adapt_verdict_change', answers)).toMatch(new RegExp(`^${code} `));
  });

  it('says why, naming each director', () => {
    expect(verdict('adapt_verdict_check', [running, stopped])).toBe(
      '1 abnormal: directors disagree: /run/d0.sock: running; /run/d1.sock: stopped',
    );
    expect(verdict('adapt_verdict_change', [down, unknown])).toBe(
      '1 link failed: /run/d0.sock: unreachable (curl 7); /run/d1.sock: refused with HTTP 404: no virtual server answers on 1.2.3.4',
    );
    expect(verdict('adapt_verdict_change', [malformed])).toBe(
      '1 malformed arguments: LB IP "1.2.3.04" is not an IPv4 or IPv6 address',
    );
  });
});
