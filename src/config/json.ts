// Loads the JSON form of FloatlbConfig back, validating its shape against
// a template of the model so API clients and tests can hand configs in.
import { SCHEDULERS } from '../kernel/vocabulary.js';
import type { FloatlbConfig } from './model.js';

export class ConfigJsonError extends Error {
  constructor(path: string, message: string) {
    super(`${path || 'config'}: ${message}`);
    this.name = 'ConfigJsonError';
  }
}

type Shape =
  | 'string'
  | 'number'
  | 'boolean'
  | { nullable: Shape }
  | { array: Shape }
  | { enum: readonly (string | number)[] }
  | { object: Record<string, Shape> }
  | { union: string; variants: Record<string, Record<string, Shape>> }
  | { tuple: Shape[] };

const n = (s: Shape): Shape => ({ nullable: s });
const arr = (s: Shape): Shape => ({ array: s });
const obj = (o: Record<string, Shape>): Shape => ({ object: o });
const oneOf = (...e: (string | number)[]): Shape => ({ enum: e });

const script = n(obj({ command: 'string', user: n('string'), group: n('string') }));
const source = obj({ file: 'string', line: 'number' });
const forwarding = obj({
  method: oneOf('NAT', 'DR', 'TUN'),
  tunnelType: n(oneOf('ipip', 'gue', 'gre')),
  tunnelPort: n('number'),
  tunnelChecksum: n(oneOf('nocsum', 'csum', 'remcsum')),
});
const timing: Record<string, Shape> = {
  retry: 'number',
  delayBeforeRetry: 'number',
  warmup: 'number',
  delayLoop: 'number',
  alpha: 'boolean',
  logAllFailures: 'boolean',
};
const common: Record<string, Shape> = {
  ...timing,
  connectIp: 'string',
  connectPort: 'number',
  bindTo: n('string'),
  bindIf: n('string'),
  bindPort: n('number'),
  fwmark: n('number'),
  connectTimeout: 'number',
};
const url = obj({
  path: 'string',
  digest: n('string'),
  statusCodes: arr({ tuple: ['number', 'number'] }),
  virtualhost: n('string'),
  regex: n('string'),
  regexNoMatch: 'boolean',
  regexOptions: arr('string'),
});
const http = {
  ...common,
  httpProtocol: n(oneOf('1.0', '1.0C', '1.1')),
  virtualhost: n('string'),
  enableSni: 'boolean',
  fastRecovery: 'boolean',
  urls: arr(url),
} as Record<string, Shape>;
const checker: Shape = {
  union: 'type',
  variants: {
    HTTP_GET: http,
    SSL_GET: http,
    TCP_CHECK: common,
    PING_CHECK: common,
    SMTP_CHECK: {
      ...common,
      heloName: n('string'),
      hosts: arr(obj({ connectIp: 'string', connectPort: 'number', bindTo: n('string') })),
    },
    DNS_CHECK: {
      ...common,
      queryType: oneOf('A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'),
      name: 'string',
    },
    UDP_CHECK: {
      ...common,
      payload: n('string'),
      requireReply: 'boolean',
      requireReplyData: n('string'),
      minReplyLength: 'number',
      maxReplyLength: 'number',
    },
    MISC_CHECK: {
      ...timing,
      path: 'string',
      timeout: 'number',
      dynamic: 'boolean',
      user: n('string'),
      group: n('string'),
    },
    FILE_CHECK: { trackFile: 'string', dynamic: 'boolean', weight: 'number', reverse: 'boolean' },
    BFD_CHECK: { name: 'string' },
  },
};
const protocol = oneOf('tcp', 'udp', 'sctp');
const endpoint = n(obj({ address: 'string', port: 'number' }));
const realServer = obj({
  address: 'string',
  port: 'number',
  weight: 'number',
  forwarding,
  inhibitOnFailure: 'boolean',
  uthreshold: n('number'),
  lthreshold: n('number'),
  notifyUp: script,
  notifyDown: script,
  virtualhost: n('string'),
  smtpAlert: n('boolean'),
  checkers: arr(checker),
  roleProbe: n(checker),
});
const virtualServer = obj({
  target: {
    union: 'kind',
    variants: {
      ip: { address: 'string', port: 'number', protocol },
      fwmark: { fwmark: 'number', family: oneOf('inet', 'inet6') },
      group: { group: 'string' },
    },
  },
  protocol,
  scheduler: { enum: SCHEDULERS },
  schedulerFlags: 'number',
  ops: 'boolean',
  forwarding,
  persistenceTimeout: n('number'),
  persistenceGranularity: n('number'),
  persistenceEngine: n('string'),
  delayLoop: 'number',
  quorum: 'number',
  hysteresis: 'number',
  quorumUp: script,
  quorumDown: script,
  sorryServer: endpoint,
  sorryServerForwarding: n(forwarding),
  sorryServerInhibit: 'boolean',
  inhibitOnFailure: 'boolean',
  alpha: 'boolean',
  omega: 'boolean',
  haSuspend: 'boolean',
  virtualhost: n('string'),
  smtpAlert: n('boolean'),
  activeStandby: 'boolean',
  realServers: arr(realServer),
  source,
});
const garp = obj({
  masterDelay: 'number',
  masterRepeat: 'number',
  masterRefresh: 'number',
  masterRefreshRepeat: 'number',
  lowerPrioDelay: 'number',
  lowerPrioRepeat: 'number',
});
const track = arr(obj({ name: 'string', weight: n('number'), reverse: 'boolean' }));
const vip = arr(
  obj({
    address: 'string',
    prefix: 'number',
    dev: n('string'),
    label: n('string'),
    scope: n('string'),
    brd: n('string'),
    peer: n('string'),
    noTrack: 'boolean',
  }),
);
const notifies = {
  notifyMaster: script,
  notifyBackup: script,
  notifyFault: script,
  notifyStop: script,
  notify: script,
};
const instance = obj({
  name: 'string',
  state: oneOf('MASTER', 'BACKUP'),
  interface: 'string',
  virtualRouterId: 'number',
  priority: 'number',
  advertInt: 'number',
  version: oneOf(2, 3),
  nopreempt: 'boolean',
  preemptDelay: 'number',
  authentication: n(obj({ type: oneOf('PASS', 'AH'), pass: 'string' })),
  virtualIpaddress: vip,
  virtualIpaddressExcluded: vip,
  virtualRoutes: arr(arr('string')),
  virtualRules: arr(arr('string')),
  mcastSrcIp: n('string'),
  unicastSrcIp: n('string'),
  unicastPeer: arr(obj({ address: 'string', minTtl: n('number'), maxTtl: n('number') })),
  trackInterface: track,
  trackScript: track,
  trackFile: track,
  dontTrackPrimary: 'boolean',
  ...notifies,
  garp,
  accept: 'boolean',
  smtpAlert: n('boolean'),
  useVmac: n('string'),
  source,
});
const CONFIG: Shape = obj({
  globalDefs: obj({
    routerId: n('string'),
    notificationEmail: arr('string'),
    notificationEmailFrom: n('string'),
    smtpServer: endpoint,
    smtpHeloName: n('string'),
    smtpConnectTimeout: 'number',
    smtpAlert: n('boolean'),
    vrrpVersion: oneOf(2, 3),
    vrrpMcastGroup4: 'string',
    vrrpMcastGroup6: 'string',
    defaultInterface: n('string'),
    lvsSyncDaemon: n(
      obj({
        interface: 'string',
        instance: n('string'),
        syncId: n('number'),
        maxlen: n('number'),
        port: n('number'),
        ttl: n('number'),
        group: n('string'),
      }),
    ),
    lvsFlush: 'boolean',
    lvsFlushOnStop: 'boolean',
    lvsTimeouts: obj({ tcp: n('number'), tcpFin: n('number'), udp: n('number') }),
    scriptUser: n('string'),
    scriptGroup: n('string'),
    enableScriptSecurity: 'boolean',
    vrrpStrict: 'boolean',
    garp,
    vrrpSkipCheckAdvAddr: 'boolean',
    floatlbApiSocket: n('string'),
  }),
  vrrpScripts: arr(
    obj({
      name: 'string',
      script: 'string',
      interval: 'number',
      timeout: n('number'),
      weight: 'number',
      weightReverse: 'boolean',
      rise: 'number',
      fall: 'number',
      user: n('string'),
      group: n('string'),
      initFail: 'boolean',
    }),
  ),
  vrrpTrackFiles: arr(
    obj({
      name: 'string',
      file: 'string',
      weight: 'number',
      weightReverse: 'boolean',
      initFile: n(obj({ value: 'number', overwrite: 'boolean' })),
    }),
  ),
  vrrpInstances: arr(instance),
  vrrpSyncGroups: arr(
    obj({
      name: 'string',
      group: arr('string'),
      trackInterface: track,
      trackScript: track,
      trackFile: track,
      ...notifies,
      smtpAlert: n('boolean'),
      globalTracking: 'boolean',
    }),
  ),
  virtualServerGroups: arr(
    obj({
      name: 'string',
      entries: arr({
        union: 'kind',
        variants: {
          range: { first: 'string', last: 'string', port: 'number' },
          fwmark: { fwmark: 'number', family: n(oneOf('inet', 'inet6')) },
        },
      }),
    }),
  ),
  virtualServers: arr(virtualServer),
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkFields(
  v: Record<string, unknown>,
  fields: Record<string, Shape>,
  path: string,
  extra: string[],
): void {
  for (const [k, s] of Object.entries(fields)) {
    if (!Object.hasOwn(v, k)) throw new ConfigJsonError(path, `missing field ${k}`);
    check(v[k], s, `${path}.${k}`);
  }
  for (const k of Object.keys(v)) {
    if (!Object.hasOwn(fields, k) && !extra.includes(k))
      throw new ConfigJsonError(path, `unknown field ${k}`);
  }
}

function check(v: unknown, s: Shape, path: string): void {
  if (s === 'string' || s === 'boolean') {
    if (typeof v !== s) throw new ConfigJsonError(path, `expected a ${s}`);
  } else if (s === 'number') {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ConfigJsonError(path, 'expected a finite number');
  } else if ('nullable' in s) {
    if (v !== null) check(v, s.nullable, path);
  } else if ('array' in s) {
    if (!Array.isArray(v)) throw new ConfigJsonError(path, 'expected an array');
    v.forEach((e, i) => {
      check(e, s.array, `${path}[${i}]`);
    });
  } else if ('tuple' in s) {
    if (!Array.isArray(v) || v.length !== s.tuple.length) {
      throw new ConfigJsonError(path, `expected ${s.tuple.length} items`);
    }
    v.forEach((e, i) => {
      check(e, s.tuple[i]!, `${path}[${i}]`);
    });
  } else if ('enum' in s) {
    if (!s.enum.includes(v as string | number))
      throw new ConfigJsonError(path, `expected one of ${s.enum.join('|')}`);
  } else if ('object' in s) {
    if (!isRecord(v)) throw new ConfigJsonError(path, 'expected an object');
    checkFields(v, s.object, path, []);
  } else {
    if (!isRecord(v)) throw new ConfigJsonError(path, 'expected an object');
    const tag = v[s.union];
    if (typeof tag !== 'string' || !Object.hasOwn(s.variants, tag)) {
      throw new ConfigJsonError(path, `${s.union} must be one of ${Object.keys(s.variants).join('|')}`);
    }
    checkFields(v, s.variants[tag]!, path, [s.union]);
  }
}

/** Validates the JSON form (e.g. from --dump json) and returns it as a FloatlbConfig. */
export function configFromJson(json: unknown): FloatlbConfig {
  check(json, CONFIG, '');
  return structuredClone(json) as FloatlbConfig;
}
