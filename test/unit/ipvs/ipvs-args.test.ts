import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/errors.js';
import { type ParsedIpvs, parseIpvsArgs } from '../../../src/cli/ipvs-args.js';
import {
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
} from '../../../src/kernel/vocabulary.js';

const p = (s: string) => parseIpvsArgs(s.split(' '));

/** The parse of `s`, which must be the command `command`, typed as that member of the union. */
function of<K extends ParsedIpvs['command']>(command: K, s: string): Extract<ParsedIpvs, { command: K }> {
  const r = p(s);
  expect(r.command).toBe(command);
  return r as Extract<ParsedIpvs, { command: K }>;
}

describe('ipvsadm spellings', () => {
  it('-Ln groups short options; word forms mean the same', () => {
    expect(p('-Ln --stats')).toMatchObject({ command: 'list', list: { numeric: true, stats: true } });
    expect(p('list -n --rate')).toMatchObject({ command: 'list', list: { numeric: true, rate: true } });
    expect(of('list', '-L -n --timeout').list.timeout).toBe(true);
    expect(p('-l --daemon --netns lb1')).toMatchObject({
      command: 'list',
      netns: 'lb1',
      list: { daemon: true },
    });
  });

  it('-A with scheduler, flags, persistence and netmask', () => {
    expect(of('add-service', '-A -t [2001:db8::1]:443 -s sh -b sh-port,sh-fallback -p').service).toEqual({
      key: { kind: 'ip', family: 'inet6', protocol: 'tcp', address: '2001:db8::1', port: 443 },
      scheduler: 'sh',
      flags: IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2,
      persistence: { timeoutSec: 360, prefix: 128 },
    });
    expect(of('add-service', '-A -u 10.0.0.1:53 -s mh -o -p 30 -M 255.255.0.0').service).toMatchObject({
      flags: IP_VS_SVC_F_ONEPACKET,
      persistence: { timeoutSec: 30, prefix: 16 },
    });
    expect(of('add-service', '-A --sctp-service 10.0.0.1:38412').service).toMatchObject({ scheduler: 'wlc' });
    expect(of('add-service', '-A -f 7 -6 -s fo').service!.key).toEqual({
      kind: 'fwmark',
      family: 'inet6',
      fwmark: 7,
    });
    // flag-1 on sh is the same bit as sh-fallback.
    expect(of('add-service', '-A -t 10.0.0.1:80 -s sh -b flag-1').service!.flags).toBe(IP_VS_SVC_F_SCHED1);
    // Addresses come out canonical whatever the spelling.
    expect(of('add-service', '-A -t [2001:DB8:0::1]:443').service!.key).toMatchObject({
      address: '2001:db8::1',
    });
  });

  it('-a: DR and TUN take the service port, NAT keeps its own; tunnel options', () => {
    expect(of('add-server', '-a -t 10.0.0.1:80 -r 10.1.0.2:8080').dest).toMatchObject({
      port: 80,
      forwarding: 'dr',
      weight: 1,
    });
    expect(of('add-server', '-a -t 10.0.0.1:80 -r 10.1.0.2:8080 -m -w 3 -x 10 -y 2').dest).toMatchObject({
      port: 8080,
      forwarding: 'nat',
      weight: 3,
      upperThreshold: 10,
      lowerThreshold: 2,
    });
    expect(
      of('add-server', '-a -t 10.0.0.1:80 -r 10.1.0.2 -i --tun-type gue --tun-port 6080 --tun-remcsum').dest!
        .tunnel,
    ).toEqual({
      type: 'gue',
      port: 6080,
      csum: 'remcsum',
    });
    expect(of('add-server', '-a -f 3 -r 10.1.0.2:8443 -g').dest!.port).toBe(8443);
    expect(p('add -t 10.0.0.1:80 -r 10.1.0.2').command).toBe('add-server');
    expect(p('delete -t 10.0.0.1:80').command).toBe('delete-service');
    expect(of('delete-server', '-d -t 10.0.0.1:80 -r 10.1.0.2:8080').dest!.port).toBe(8080);
  });

  it('timeouts and sync daemons', () => {
    expect(of('set-timeout', '--set 900 120 300').timeouts).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
    expect(
      of(
        'start-daemon',
        '--start-daemon backup --mcast-interface eth1 --syncid 9 --mcast-group ff02::81 --mcast-port 8850',
      ).daemon,
    ).toEqual({ state: 'backup', ifname: 'eth1', syncId: 9, group: 'ff02::81', port: 8850 });
  });

  it.each([
    ['-A -t 10.0.0.1:80 -s fastest', /illegal scheduling algorithm "fastest"/],
    ['-A -t 10.0.0.1:99999', /illegal service port/],
    ['-A -t 10.0.0.256:80', /not an IP address/],
    ['-A -t 10.0.0.1:80 -M 255.0.0.0', /-M needs -p/],
    ['-A -t 10.0.0.1:80 -p 10 -M 255.0.255.0', /not a valid IPv4 netmask/],
    ['-A -t 10.0.0.1:80 -s rr -b mh-port', /mh-port applies to mh only/],
    ['-a -t 10.0.0.1:80 -r 10.1.0.2 -m --tun-type gue', /tunnel options need -i/],
    ['-a -t 10.0.0.1:80 -r 10.1.0.2 -i --tun-type gue', /gue tunnel needs a port/],
    ['-a -t 10.0.0.1:80 -r 10.1.0.2 -m -w 70000', /illegal weight/],
    ['-a -t 10.0.0.1:80 -r 2001:db8::2 -m', /another address family needs tunnel/],
    ['-A -E -t 10.0.0.1:80', /more than one command/],
    ['-a -r 10.1.0.2', /needs a service/],
    ['-A -t 10.0.0.1:80 --frobnicate', /unknown option --frobnicate/],
  ])('%s is refused: %s', (args, msg) => {
    expect(() => p(args)).toThrow(UsageError);
    expect(() => p(args)).toThrow(msg);
  });
});
describe('one parser per command', () => {
  it('refuses an option that does not apply to the command, naming it as written', () => {
    expect(() => p('-L -s rr')).toThrow('option -s does not apply to list');
    expect(() => p('-D -t 10.0.0.1:80 --weight 3')).toThrow(
      'option --weight does not apply to delete-service',
    );
    expect(() => p('-C -n')).toThrow('option -n does not apply to clear');
    expect(() => p('-A -t 10.0.0.1:80 -r 10.1.0.2')).toThrow('option -r does not apply to add-service');
    expect(() => p('-A -t 10.0.0.1:80 -s rr -s wlc')).toThrow('option -s given twice');
    expect(() => p('-A -t 10.0.0.1:80 -6')).toThrow('option -6 applies to -f only');
  });

  it('-Lnc lists connections; -c takes no service; --sort is the default order', () => {
    expect(of('list', '-Lnc').list).toMatchObject({ numeric: true, connections: true });
    expect(of('list', '-L -c --persistent-conn').list).toMatchObject({
      connections: true,
      persistentConn: true,
    });
    expect(() => p('-Lnc -t 10.0.0.1:80')).toThrow(/-c lists every connection/);
    expect(of('list', '-Ln --sort').list.noSort).toBe(false);
    expect(of('list', '-Ln --nosort').list.noSort).toBe(true);
  });

  it('-h and --help ask for help, whatever else is given', () => {
    expect(p('-h').command).toBe('help');
    expect(p('--help').command).toBe('help');
    expect(p('-L -h').command).toBe('help');
    expect(p('help').command).toBe('help');
  });

  it('names both commands when two are given', () => {
    expect(() => p('-L -S')).toThrow('more than one command given: -L, -S');
    expect(() => p('list --save')).toThrow('more than one command given: list, --save');
  });
});
