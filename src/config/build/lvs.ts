// virtual_server, its real_servers, and virtual_server_group.
import { isIP } from 'node:net';
import type { Token } from '../lexer.js';
import type {
  Checker,
  EndpointAddr,
  Forwarding,
  Protocol,
  RealServer,
  Scheduler,
  SchedulerFlag,
  ScriptRef,
  VirtualServer,
  VirtualServerTarget,
} from '../model.js';
import type { ConfigNode } from '../parser.js';
import { type Reader, type StaticTable, staticTable, type Table } from '../values.js';
import { CHECKER_TYPES, type CheckerDefaults, readChecker } from './checkers.js';
import { NAT, readForwarding } from './forwarding.js';
import { readScript } from './scripts.js';

export const SCHEDULERS: readonly Scheduler[] = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'mh',
  'fo',
  'ovf',
  'twos',
];
const FLAGS: readonly SchedulerFlag[] = [
  'flag-1',
  'flag-2',
  'flag-3',
  'sh-fallback',
  'sh-port',
  'mh-fallback',
  'mh-port',
];
const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
const DEFAULT_DELAY_LOOP = 60_000;

/** Inheritable settings a virtual server passes to its real servers. */
interface Inherited extends Omit<CheckerDefaults, 'address' | 'port'> {
  inhibitOnFailure: boolean;
}

interface WithInherited {
  own: Inherited;
}

const TIMING: StaticTable<WithInherited> = {
  connect_timeout: (r, n, s) => {
    s.own.connectTimeout = r.timer(n) ?? s.own.connectTimeout;
  },
  retry: (r, n, s) => {
    s.own.retry = r.int(n, 0, 2147483647) ?? s.own.retry;
  },
  nb_get_retry: (r, n, s) => {
    r.sink.warning(n.name, `nb_get_retry is deprecated: use retry`);
    s.own.retry = r.int(n, 0, 2147483647) ?? s.own.retry;
  },
  delay_before_retry: (r, n, s) => {
    s.own.delayBeforeRetry = r.timer(n) ?? s.own.delayBeforeRetry;
  },
  warmup: (r, n, s) => {
    s.own.warmup = r.timer(n) ?? s.own.warmup;
  },
  delay_loop: (r, n, s) => {
    s.own.delayLoop = r.timer(n) ?? s.own.delayLoop;
  },
  inhibit_on_failure: (r, n, s) => {
    s.own.inhibitOnFailure = r.bool(n) ?? s.own.inhibitOnFailure;
  },
  virtualhost: (r, n, s) => {
    s.own.virtualhost = r.string(n) ?? s.own.virtualhost;
  },
  alpha: (r, n, s) => {
    s.own.alpha = r.bool(n) ?? s.own.alpha;
  },
};

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
  return ep ? { kind: 'ip', address: ep.address, port: ep.port, protocol: 'TCP' } : null;
}

export function readVirtualServer(r: Reader, node: ConfigNode): VirtualServer | null {
  const target = vsTarget(r, node);
  if (!r.needsBlock(node) || !target) return null;
  const inherited: Inherited = {
    connectTimeout: null,
    retry: null,
    delayBeforeRetry: null,
    warmup: null,
    delayLoop: DEFAULT_DELAY_LOOP,
    alpha: null,
    virtualhost: null,
    inhibitOnFailure: false,
  };
  let protocol: Protocol | null = null;
  let protocolTok: Token | null = null;
  let family: 'inet' | 'inet6' = 'inet';
  const vs = {
    scheduler: 'wlc' as Scheduler,
    schedulerFlags: [] as SchedulerFlag[],
    ops: false,
    forwarding: NAT,
    persistenceTimeout: null as number | null,
    persistenceGranularity: null as string | null,
    persistenceEngine: null as string | null,
    quorum: 1,
    hysteresis: 0,
    quorumUp: null as ScriptRef | null,
    quorumDown: null as ScriptRef | null,
    sorryServer: null as EndpointAddr | null,
    sorryServerForwarding: null as Forwarding | null,
    sorryServerInhibit: false,
    omega: false,
    haSuspend: false,
    smtpAlert: null as boolean | null,
    activeStandby: false,
  };
  let schedulerSet = false;
  let methodSet = false;
  const realNodes: ConfigNode[] = [];
  const table: Table = {
    lvs_sched: (n) => {
      const s = r.oneOf(n, SCHEDULERS);
      if (s) {
        vs.scheduler = s;
        schedulerSet = true;
      }
    },
    lvs_method: (n) => {
      const f = readForwarding(r, n);
      if (f) {
        vs.forwarding = f;
        methodSet = true;
      }
    },
    protocol: (n) => {
      protocol = r.oneOf(n, PROTOCOLS, 0, true) ?? protocol;
      protocolTok = n.name;
    },
    persistence_timeout: (n) => {
      vs.persistenceTimeout = n.args.length ? r.int(n, 1, 2147483647) : 360;
      if (vs.persistenceTimeout !== null) vs.persistenceTimeout *= 1000;
    },
    persistence_granularity: (n) => {
      const tok = r.arg(n, 0, 'a netmask');
      if (tok && isIP(tok.text) === 0 && !/^\d{1,3}$/.test(tok.text))
        r.invalid(tok, 'persistence_granularity', 'a netmask such as 255.255.255.0 or a prefix length');
      else if (tok) vs.persistenceGranularity = tok.text;
    },
    persistence_engine: (n) => {
      vs.persistenceEngine = r.string(n);
    },
    ops: (n) => {
      vs.ops = r.bool(n) ?? vs.ops;
    },
    quorum: (n) => {
      vs.quorum = r.int(n, 1, 2147483647) ?? vs.quorum;
    },
    hysteresis: (n) => {
      vs.hysteresis = r.int(n, 0, 2147483647) ?? vs.hysteresis;
    },
    quorum_up: (n) => {
      vs.quorumUp = readScript(r, n);
    },
    quorum_down: (n) => {
      vs.quorumDown = readScript(r, n);
    },
    sorry_server: (n) => {
      vs.sorryServer = endpoint(r, n, 0);
    },
    sorry_server_inhibit: (n) => {
      vs.sorryServerInhibit = r.bool(n) ?? vs.sorryServerInhibit;
    },
    sorry_server_lvs_method: (n) => {
      vs.sorryServerForwarding = readForwarding(r, n);
    },
    omega: (n) => {
      vs.omega = r.bool(n) ?? vs.omega;
    },
    ha_suspend: (n) => {
      vs.haSuspend = r.bool(n) ?? vs.haSuspend;
    },
    smtp_alert: (n) => {
      vs.smtpAlert = r.bool(n);
    },
    ip_family: (n) => {
      family = r.oneOf(n, ['inet', 'inet6'] as const) ?? family;
    },
    snmp_name: () => {},
    real_server: (n) => realNodes.push(n),
    active_standby: (n) => {
      vs.activeStandby = r.bool(n) ?? vs.activeStandby;
    },
  };
  const holder: WithInherited = { own: inherited };
  for (const [k, h] of Object.entries(TIMING)) table[k] = (n) => h(r, n, holder);
  table.lb_algo = table.lvs_sched!;
  table.lb_kind = table.lvs_method!;
  for (const f of FLAGS) table[f] = () => vs.schedulerFlags.includes(f) || vs.schedulerFlags.push(f);
  r.block(node, table, 'virtual_server');

  if (!schedulerSet)
    r.sink.warning(node.name, `virtual_server has no lvs_sched: using wlc, as keepalived does`);
  if (!methodSet)
    r.sink.warning(node.name, `virtual_server has no lvs_method: using NAT, as keepalived does`);
  if (target.kind === 'fwmark') {
    target.family = family;
    if (protocolTok) r.sink.warning(protocolTok, `protocol is ignored for a fwmark virtual server`);
  }
  // keepalived 2.2.7 defaults an unset protocol to UDP (and says so).
  const proto: Protocol = protocol ?? (target.kind === 'fwmark' ? 'TCP' : 'UDP');
  if (protocol === null && target.kind !== 'fwmark') {
    r.sink.warning(node.name, `virtual_server has no protocol: using UDP, as keepalived 2.2.7 does`);
  }
  if (target.kind === 'ip') {
    target.protocol = proto;
    if (target.port === 0 && vs.persistenceTimeout === null) {
      r.sink.error(
        node.args[0]!,
        `a virtual server without a port must be persistent (set persistence_timeout)`,
      );
    }
  }
  const realServers: RealServer[] = [];
  for (const rn of realNodes) {
    const rs = readRealServer(r, rn, inherited, vs.forwarding, target.kind === 'ip' ? target.port : 0);
    if (rs) realServers.push(rs);
  }
  if (realServers.length === 0 && !vs.sorryServer) {
    r.sink.warning(node.name, `virtual_server has no real servers: keepalived ignores it`);
  }
  if (vs.activeStandby) checkActiveStandby(r, node, realServers);
  return {
    target,
    protocol: proto,
    ...vs,
    delayLoop: inherited.delayLoop,
    inhibitOnFailure: inherited.inhibitOnFailure,
    alpha: inherited.alpha ?? false,
    virtualhost: inherited.virtualhost,
    realServers,
    source: { file: node.name.file, line: node.name.line },
  };
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

interface RsState extends WithInherited {
  rs: Omit<RealServer, 'address' | 'port' | 'inhibitOnFailure' | 'virtualhost' | 'checkers'>;
  checkerNodes: ConfigNode[];
  probeNode: ConfigNode | null;
}

const collectChecker = (_r: Reader, n: ConfigNode, s: RsState): void => {
  s.checkerNodes.push(n);
};
const lvsMethod = (r: Reader, n: ConfigNode, s: RsState): void => {
  s.rs.forwarding = readForwarding(r, n) ?? s.rs.forwarding;
};
const RS_TABLE: StaticTable<RsState> = staticTable<RsState>(TIMING, {
  weight: (r, n, s) => {
    s.rs.weight = r.int(n, 0, 2147483647) ?? s.rs.weight;
  },
  lvs_method: lvsMethod,
  lb_kind: lvsMethod,
  uthreshold: (r, n, s) => {
    s.rs.uthreshold = r.int(n, 0, 2147483647);
  },
  lthreshold: (r, n, s) => {
    s.rs.lthreshold = r.int(n, 0, 2147483647);
  },
  notify_up: (r, n, s) => {
    s.rs.notifyUp = readScript(r, n);
  },
  notify_down: (r, n, s) => {
    s.rs.notifyDown = readScript(r, n);
  },
  smtp_alert: (r, n, s) => {
    s.rs.smtpAlert = r.bool(n);
  },
  snmp_name: () => {},
  role_probe: (_r, n, s) => {
    s.probeNode = n;
  },
  ...Object.fromEntries(CHECKER_TYPES.map((t) => [t, collectChecker])),
});

function readRealServer(
  r: Reader,
  node: ConfigNode,
  vsDefaults: Inherited,
  vsForwarding: Forwarding,
  vsPort: number,
): RealServer | null {
  const ep = endpoint(r, node, vsPort);
  if (!ep) return null;
  const s: RsState = {
    own: { ...vsDefaults },
    rs: {
      weight: 1,
      forwarding: vsForwarding,
      uthreshold: null,
      lthreshold: null,
      notifyUp: null,
      notifyDown: null,
      smtpAlert: null,
      roleProbe: null,
    },
    checkerNodes: [],
    probeNode: null,
  };
  if (node.children !== null) r.blockWith(node, RS_TABLE, 'real_server', s);
  const { own, rs } = s;
  const defaults: CheckerDefaults = {
    address: ep.address,
    port: ep.port,
    connectTimeout: own.connectTimeout,
    retry: own.retry,
    delayBeforeRetry: own.delayBeforeRetry,
    warmup: own.warmup,
    delayLoop: own.delayLoop,
    alpha: own.alpha,
    virtualhost: own.virtualhost,
  };
  const checkers: Checker[] = [];
  for (const cn of s.checkerNodes) {
    const c = readChecker(r, cn, defaults);
    if (c) checkers.push(c);
  }
  if (s.probeNode) rs.roleProbe = readRoleProbe(r, s.probeNode, defaults);
  if (rs.uthreshold !== null && rs.lthreshold !== null && rs.lthreshold > rs.uthreshold) {
    r.sink.error(node.name, `lthreshold ${rs.lthreshold} is above uthreshold ${rs.uthreshold}`);
  }
  return {
    address: ep.address,
    port: ep.port,
    weight: rs.weight,
    forwarding: rs.forwarding,
    uthreshold: rs.uthreshold,
    lthreshold: rs.lthreshold,
    notifyUp: rs.notifyUp,
    notifyDown: rs.notifyDown,
    smtpAlert: rs.smtpAlert,
    roleProbe: rs.roleProbe,
    inhibitOnFailure: own.inhibitOnFailure,
    virtualhost: own.virtualhost,
    checkers,
  };
}

/** floatlb `role_probe { CHECKER { ... } }`: exactly one checker block. */
function readRoleProbe(r: Reader, node: ConfigNode, d: CheckerDefaults): Checker | null {
  if (!r.needsBlock(node)) return null;
  const inner = node.children!;
  if (inner.length !== 1 || !(CHECKER_TYPES as readonly string[]).includes(inner[0]!.name.text)) {
    r.sink.error(node.name, `role_probe takes exactly one checker block (${CHECKER_TYPES.join(', ')})`);
    return null;
  }
  return readChecker(r, inner[0]!, d);
}
