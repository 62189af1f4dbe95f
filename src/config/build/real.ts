// real_server blocks: settings inherited from the virtual server, health
// checkers and floatlb's role_probe. Built with tables made once and state
// objects of one shape, since a large config has tens of thousands of them.
import type { Checker, Forwarding, Ip, RealServer, ScriptRef } from '../model.js';
import type { ConfigNode } from '../parser.js';
import { isIntText, isIPv4Fast, type Reader, type StaticTable, staticTable } from '../values.js';
import { CHECKER_TYPES, type CheckerDefaults, readChecker } from './checkers.js';
import { readForwarding } from './forwarding.js';
import { readScript } from './scripts.js';

/** Inheritable settings a virtual server passes to its real servers, and they to their checkers. */
export class Inherited {
  connectTimeout: number | null = null;
  retry: number | null = null;
  delayBeforeRetry: number | null = null;
  warmup: number | null = null;
  delayLoop: number;
  alpha: boolean | null = null;
  virtualhost: string | null = null;
  inhibitOnFailure = false;

  constructor(delayLoop: number, from: Inherited | null = null) {
    this.delayLoop = delayLoop;
    if (from) {
      this.connectTimeout = from.connectTimeout;
      this.retry = from.retry;
      this.delayBeforeRetry = from.delayBeforeRetry;
      this.warmup = from.warmup;
      this.alpha = from.alpha;
      this.virtualhost = from.virtualhost;
      this.inhibitOnFailure = from.inhibitOnFailure;
    }
  }
}

export interface WithInherited {
  own: Inherited;
}

export const TIMING: StaticTable<WithInherited> = {
  connect_timeout: (r, n, s) => {
    s.own.connectTimeout = r.timer(n) ?? s.own.connectTimeout;
  },
  // keepalived 2.2.7 takes retry 0 in a checker block only: here it is invalid
  // (warned) and the inherited value stays.
  retry: (r, n, s) => {
    s.own.retry = r.int(n, 1, 2147483647) ?? s.own.retry;
  },
  nb_get_retry: (r, n, s) => {
    r.sink.warning(n.name, `nb_get_retry is deprecated: use retry`);
    s.own.retry = r.int(n, 1, 2147483647) ?? s.own.retry;
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

/** What checkers of one real server inherit. */
class Defaults implements CheckerDefaults {
  readonly connectTimeout: number | null;
  readonly retry: number | null;
  readonly delayBeforeRetry: number | null;
  readonly warmup: number | null;
  readonly delayLoop: number;
  readonly alpha: boolean | null;
  readonly virtualhost: string | null;

  constructor(
    readonly address: Ip,
    readonly port: number,
    own: Inherited,
  ) {
    this.connectTimeout = own.connectTimeout;
    this.retry = own.retry;
    this.delayBeforeRetry = own.delayBeforeRetry;
    this.warmup = own.warmup;
    this.delayLoop = own.delayLoop;
    this.alpha = own.alpha;
    this.virtualhost = own.virtualhost;
  }
}

class RsState implements WithInherited {
  readonly own: Inherited;
  weight = 1;
  forwarding: Forwarding;
  uthreshold: number | null = null;
  lthreshold: number | null = null;
  notifyUp: ScriptRef | null = null;
  notifyDown: ScriptRef | null = null;
  smtpAlert: boolean | null = null;
  checkerNodes: ConfigNode[] | null = null;
  probeNode: ConfigNode | null = null;

  constructor(vs: Inherited, forwarding: Forwarding) {
    this.own = new Inherited(vs.delayLoop, vs);
    this.forwarding = forwarding;
  }
}

const collectChecker = (_r: Reader, n: ConfigNode, s: RsState): void => {
  if (s.checkerNodes) s.checkerNodes.push(n);
  else s.checkerNodes = [n];
};
const lvsMethod = (r: Reader, n: ConfigNode, s: RsState): void => {
  s.forwarding = readForwarding(r, n) ?? s.forwarding;
};
const RS_TABLE: StaticTable<RsState> = staticTable<RsState>(TIMING, {
  weight: (r, n, s) => {
    s.weight = r.int(n, 0, 2147483647) ?? s.weight;
  },
  lvs_method: lvsMethod,
  lb_kind: lvsMethod,
  uthreshold: (r, n, s) => {
    s.uthreshold = r.int(n, 0, 2147483647);
  },
  lthreshold: (r, n, s) => {
    s.lthreshold = r.int(n, 0, 2147483647);
  },
  notify_up: (r, n, s) => {
    s.notifyUp = readScript(r, n);
  },
  notify_down: (r, n, s) => {
    s.notifyDown = readScript(r, n);
  },
  smtp_alert: (r, n, s) => {
    s.smtpAlert = r.bool(n);
  },
  snmp_name: () => {},
  role_probe: (_r, n, s) => {
    s.probeNode = n;
  },
  ...Object.fromEntries(CHECKER_TYPES.map((t) => [t, collectChecker])),
});

export function readRealServer(
  r: Reader,
  node: ConfigNode,
  vsDefaults: Inherited,
  vsForwarding: Forwarding,
  vsPort: number,
): RealServer | null {
  // `ADDRESS [PORT]`, checked inline: this runs once per real server.
  const a = r.arg(node, 0, 'an IP address');
  if (!a) return null;
  const address = isIPv4Fast(a.text) ? (a.text as Ip) : r.ipToken(a, `${node.name.text} address`);
  const p = node.args[1];
  let port: number | null = vsPort;
  if (p) {
    const v = Number(p.text);
    port = isIntText(p.text) && v >= 0 && v <= 65535 ? v : r.intToken(p, 0, 65535, `${node.name.text} port`);
  }
  if (address === null || port === null) return null;
  const s = new RsState(vsDefaults, vsForwarding);
  if (node.children !== null) r.blockWith(node, RS_TABLE, 'real_server', s);
  const own = s.own;
  const defaults = s.checkerNodes || s.probeNode ? new Defaults(address, port, own) : null;
  const checkers: Checker[] = [];
  if (s.checkerNodes) {
    for (const cn of s.checkerNodes) {
      const c = readChecker(r, cn, defaults!);
      if (c) checkers.push(c);
    }
  }
  const roleProbe = s.probeNode ? readRoleProbe(r, s.probeNode, defaults!) : null;
  if (s.uthreshold !== null && s.lthreshold !== null && s.lthreshold > s.uthreshold) {
    r.sink.error(node.name, `lthreshold ${s.lthreshold} is above uthreshold ${s.uthreshold}`);
  }
  return {
    address,
    port,
    weight: s.weight,
    forwarding: s.forwarding,
    uthreshold: s.uthreshold,
    lthreshold: s.lthreshold,
    notifyUp: s.notifyUp,
    notifyDown: s.notifyDown,
    smtpAlert: s.smtpAlert,
    roleProbe,
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
