// virtual_server blocks; real servers are in real.ts.
import {
  type Family,
  ipFamily,
  PROTOCOLS,
  parseNetmask,
  SCHED_FLAG_BIT,
  SCHEDULERS,
  type SchedFlagName,
} from '../../kernel/vocabulary.js';
import type { Token } from '../lexer.js';
import type {
  EndpointAddr,
  Forwarding,
  Protocol,
  RealServer,
  Scheduler,
  ScriptRef,
  VirtualServer,
  VirtualServerTarget,
} from '../model.js';
import type { ConfigNode } from '../parser.js';
import { type Reader, type StaticTable, staticTable } from '../values.js';
import { granularityAt, inferredFamily, type PlacedServer, serverFits } from './families.js';
import { NAT, readForwarding } from './forwarding.js';
import { applyKeepalivedCorrections } from './lvs-corrections.js';
import { Inherited, readRealServer, TIMING, type WithInherited } from './real.js';
import { readScript } from './scripts.js';

// keepalived's flag keywords; ops is a keyword of its own.
const FLAGS = (Object.keys(SCHED_FLAG_BIT) as SchedFlagName[]).filter((f) => f !== 'ops');
const DEFAULT_DELAY_LOOP = 60_000;

/** `ADDRESS [PORT]`, the form of real_server and sorry_server. */
function endpoint(r: Reader, node: ConfigNode, defaultPort: number): EndpointAddr | null {
  const a = r.arg(node, 0, 'an IP address');
  if (!a) return null;
  const address = r.ipToken(a, `${node.name.text} address`);
  const p = node.args[1];
  const port = p ? r.intToken(p, 0, 65535, `${node.name.text} port`) : defaultPort;
  if (address === null || port === null) return null;
  return { address, port };
}

function vsTarget(r: Reader, node: ConfigNode): VirtualServerTarget | null {
  const first = r.arg(node, 0, 'an address and port, fwmark N, or group NAME');
  if (!first) return null;
  if (first.text === 'fwmark') {
    const mark = r.int(node, 1, 4294967295, 1, 'fwmark');
    return mark === null ? null : { kind: 'fwmark', fwmark: mark, family: 'inet' };
  }
  if (first.text === 'group') {
    const name = r.arg(node, 1, 'a group name');
    return name ? { kind: 'group', group: name.text } : null;
  }
  const ep = endpoint(r, node, 0);
  return ep ? { kind: 'ip', address: ep.address, port: ep.port, protocol: 'tcp' } : null;
}

/** What a virtual_server block sets; one shape, filled by a table made once. */
class VsState implements WithInherited {
  readonly own = new Inherited(DEFAULT_DELAY_LOOP);
  scheduler: Scheduler = 'wlc';
  schedulerSet = false;
  schedulerFlags = 0;
  ops = false;
  forwarding: Forwarding = NAT;
  methodSet = false;
  protocol: Protocol | null = null;
  protocolTok: Token | null = null;
  family: 'inet' | 'inet6' = 'inet';
  familySet = false;
  persistenceTimeout: number | null = null;
  granularityTok: Token | null = null;
  persistenceEngine: string | null = null;
  quorum = 1;
  hysteresis = 0;
  quorumUp: ScriptRef | null = null;
  quorumDown: ScriptRef | null = null;
  sorryServer: EndpointAddr | null = null;
  sorryTok: Token | null = null;
  sorryServerForwarding: Forwarding | null = null;
  sorryServerInhibit = false;
  omega = false;
  haSuspend = false;
  smtpAlert: boolean | null = null;
  activeStandby = false;
  readonly realNodes: ConfigNode[] = [];
}

const lvsSched = (r: Reader, n: ConfigNode, vs: VsState): void => {
  const s = r.oneOf(n, SCHEDULERS);
  if (s) {
    vs.scheduler = s;
    vs.schedulerSet = true;
  }
};
const lvsMethod = (r: Reader, n: ConfigNode, vs: VsState): void => {
  const f = readForwarding(r, n);
  if (f) {
    vs.forwarding = f;
    vs.methodSet = true;
  }
};
const flag =
  (f: SchedFlagName) =>
  (_r: Reader, _n: ConfigNode, vs: VsState): void => {
    vs.schedulerFlags |= SCHED_FLAG_BIT[f];
  };

const VS_TABLE: StaticTable<VsState> = staticTable<VsState>(
  {
    lvs_sched: lvsSched,
    lvs_method: lvsMethod,
    protocol: (r, n, vs) => {
      vs.protocol = r.oneOf(n, PROTOCOLS, 0, true) ?? vs.protocol;
      vs.protocolTok = n.name;
    },
    persistence_timeout: (r, n, vs) => {
      vs.persistenceTimeout = n.args.length ? r.int(n, 1, 2147483647) : 360;
      if (vs.persistenceTimeout !== null) vs.persistenceTimeout *= 1000;
    },
    persistence_granularity: (r, n, vs) => {
      vs.granularityTok = r.arg(n, 0, 'a netmask');
    },
    persistence_engine: (r, n, vs) => {
      // The kernel has one persistence engine; another name would fail at the first apply.
      vs.persistenceEngine = r.oneOf(n, ['sip'] as const) ?? vs.persistenceEngine;
    },
    ops: (r, n, vs) => {
      vs.ops = r.bool(n) ?? vs.ops;
    },
    quorum: (r, n, vs) => {
      vs.quorum = r.int(n, 1, 2147483647) ?? vs.quorum;
    },
    hysteresis: (r, n, vs) => {
      vs.hysteresis = r.int(n, 0, 2147483647) ?? vs.hysteresis;
    },
    quorum_up: (r, n, vs) => {
      vs.quorumUp = readScript(r, n);
    },
    quorum_down: (r, n, vs) => {
      vs.quorumDown = readScript(r, n);
    },
    sorry_server: (r, n, vs) => {
      vs.sorryServer = endpoint(r, n, 0);
      vs.sorryTok = n.args[0] ?? null;
    },
    sorry_server_inhibit: (r, n, vs) => {
      vs.sorryServerInhibit = r.bool(n) ?? vs.sorryServerInhibit;
    },
    sorry_server_lvs_method: (r, n, vs) => {
      vs.sorryServerForwarding = readForwarding(r, n);
    },
    omega: (r, n, vs) => {
      vs.omega = r.flag(n);
    },
    ha_suspend: (r, n, vs) => {
      vs.haSuspend = r.flag(n);
    },
    smtp_alert: (r, n, vs) => {
      vs.smtpAlert = r.bool(n);
    },
    ip_family: (r, n, vs) => {
      const f = r.oneOf(n, ['inet', 'inet6'] as const);
      if (f) {
        vs.family = f;
        vs.familySet = true;
      }
    },
    snmp_name: () => {},
    real_server: (_r, n, vs) => {
      vs.realNodes.push(n);
    },
    active_standby: (r, n, vs) => {
      vs.activeStandby = r.bool(n) ?? vs.activeStandby;
    },
  },
  TIMING,
  { lb_algo: lvsSched, lb_kind: lvsMethod },
  Object.fromEntries(FLAGS.map((f) => [f, flag(f)])),
  {
    // In virtual_server (not real_server) keepalived ignores these switches' arguments.
    alpha: (r, n, vs) => {
      vs.own.alpha = r.flag(n);
    },
    inhibit_on_failure: (r, n, vs) => {
      vs.own.inhibitOnFailure = r.flag(n);
    },
  },
);

export function readVirtualServer(r: Reader, node: ConfigNode): VirtualServer | null {
  const target = vsTarget(r, node);
  if (!r.needsBlock(node) || !target) return null;
  const vs = new VsState();
  r.blockWith(node, VS_TABLE, 'virtual_server', vs);
  const { protocol, protocolTok, own: inherited } = vs;

  if (!vs.schedulerSet)
    r.sink.warning(node.name, `virtual_server has no lvs_sched: using wlc, as keepalived does`);
  if (!vs.methodSet)
    r.sink.warning(node.name, `virtual_server has no lvs_method: using NAT, as keepalived does`);
  if (target.kind === 'fwmark') {
    if (protocolTok) r.sink.warning(protocolTok, `protocol is ignored for a fwmark virtual server`);
  }
  // keepalived 2.2.7 defaults an unset protocol to UDP (and says so).
  const proto: Protocol = protocol ?? (target.kind === 'fwmark' ? 'tcp' : 'udp');
  if (protocol === null && target.kind !== 'fwmark') {
    r.sink.warning(node.name, `virtual_server has no protocol: using UDP, as keepalived 2.2.7 does`);
  }
  if (target.kind === 'ip') {
    target.protocol = proto;
    if (target.port === 0 && vs.persistenceTimeout === null) {
      vs.persistenceTimeout = 360_000;
      r.sink.warning(
        node.args[0]!,
        `a virtual server without a port must be persistent: using persistence_timeout 360, as keepalived does`,
      );
    }
  }
  const read: Array<{ rs: RealServer; placed: PlacedServer }> = [];
  for (const rn of vs.realNodes) {
    const rs = readRealServer(r, rn, inherited, vs.forwarding, target.kind === 'ip' ? target.port : 0);
    if (rs) read.push({ rs, placed: { address: rs.address, forwarding: rs.forwarding, at: rn.args[0]! } });
  }
  const sorry =
    vs.sorryServer && vs.sorryTok
      ? { ...vs.sorryServer, forwarding: vs.sorryServerForwarding ?? vs.forwarding, at: vs.sorryTok }
      : null;
  const family =
    target.kind === 'ip'
      ? ipFamily(target.address)
      : target.kind === 'fwmark' && vs.familySet
        ? vs.family
        : inferredFamily([...read.map((x) => x.placed), ...(sorry ? [sorry] : [])]);
  if (target.kind === 'fwmark') target.family = family ?? 'inet';
  const realServers = read
    .filter((x) => serverFits(r.sink, 'real_server', x.placed, family))
    .map((x) => x.rs);
  if (sorry && !serverFits(r.sink, 'sorry_server', sorry, family)) vs.sorryServer = null;
  const fixed = {
    target,
    forwarding: vs.forwarding,
    realServers,
    sorryServer: vs.sorryServer,
    sorryServerForwarding: vs.sorryServerForwarding,
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
  };
  applyKeepalivedCorrections(r, node.name, fixed);
  if (realServers.length === 0 && !vs.sorryServer) {
    r.sink.warning(node.name, `virtual_server has no real servers: keepalived ignores it`);
  }
  if (vs.activeStandby) checkActiveStandby(r, node, realServers);
  const built: VirtualServer = {
    target,
    protocol: proto,
    scheduler: vs.scheduler,
    schedulerFlags: vs.schedulerFlags,
    ops: vs.ops,
    forwarding: vs.forwarding,
    persistenceTimeout: vs.persistenceTimeout,
    persistenceGranularity: granularity(r, vs, target),
    persistenceEngine: vs.persistenceEngine,
    quorum: fixed.quorum,
    hysteresis: fixed.hysteresis,
    quorumUp: vs.quorumUp,
    quorumDown: vs.quorumDown,
    sorryServer: fixed.sorryServer,
    sorryServerForwarding: vs.sorryServerForwarding,
    sorryServerInhibit: vs.sorryServerInhibit,
    omega: vs.omega,
    haSuspend: vs.haSuspend,
    smtpAlert: vs.smtpAlert,
    activeStandby: vs.activeStandby,
    delayLoop: inherited.delayLoop,
    inhibitOnFailure: inherited.inhibitOnFailure,
    alpha: inherited.alpha ?? false,
    virtualhost: inherited.virtualhost,
    realServers,
    source: { file: node.name.file, line: node.name.line },
  };
  if (vs.granularityTok) granularityAt.set(built, vs.granularityTok);
  return built;
}

/** The netmask as a prefix length: a contiguous dotted quad (IPv4) or a prefix length. */
function granularity(r: Reader, vs: VsState, target: VirtualServerTarget): number | null {
  const tok = vs.granularityTok;
  if (!tok) return null;
  // A group may hold both families: take the family the notation implies.
  const family: Family =
    target.kind === 'ip'
      ? ipFamily(target.address)
      : target.kind === 'fwmark'
        ? target.family
        : tok.text.includes('.')
          ? 'inet'
          : 'inet6';
  const prefix = parseNetmask(tok.text, family);
  if (prefix !== null) return prefix;
  return r.invalid(
    tok,
    'persistence_granularity',
    family === 'inet'
      ? 'a contiguous netmask such as 255.255.255.0, or a prefix length 0-32'
      : 'a prefix length 0-128',
  );
}

function checkActiveStandby(r: Reader, node: ConfigNode, realServers: RealServer[]): void {
  if (realServers.length < 2) r.sink.warning(node.name, `active_standby pool has fewer than 2 real servers`);
  if (realServers.some((rs) => rs.roleProbe === null)) {
    r.sink.warning(
      node.name,
      `active_standby: real servers without role_probe are treated as active whenever healthy`,
    );
  }
}
