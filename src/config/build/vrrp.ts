// vrrp_instance: its settings, unicast peers, tracking and notify scripts.
import type { Token } from '../lexer.js';
import type { AdvertKnobs, GarpSettings, ScriptRef, UnicastPeer, VrrpInstance } from '../model.js';
import type { ConfigNode } from '../parser.js';
import { append, type Reader, type Table } from '../values.js';
import { readScript } from './scripts.js';
import { advertTable, garpTable, instanceGarp } from './vrrp-garp.js';
import { readRoutes, readRules } from './vrrp-routes.js';
import { applyStrict } from './vrrp-strict.js';
import { readTrack } from './vrrp-track.js';
import { readVips } from './vrrp-vips.js';

export interface VrrpGlobals {
  version: 2 | 3;
  garp: GarpSettings;
  adverts: AdvertKnobs;
  /** global_defs default_interface; keepalived's own default is eth0. */
  defaultInterface?: string | null;
  /** global_defs vrrp_strict: the default of each instance's strict_mode. */
  strict?: boolean;
}

/** Keywords keepalived knows in vrrp_instance that floatlb keeps no model for. */
const IGNORED_INSTANCE_KEYWORDS = [
  'vrf',
  'use_vmac_addr',
  'use_ipvlan',
  'native_ipv6',
  'track_bfd',
  'mcast_dst_ip',
  'track_src_ip',
  'unicast_fault_no_peer',
  'old_unicast_checksum',
  'garp_extra_if',
  'promote_secondaries',
  'skip_check_adv_addr',
  'debug',
  'notify_master_rx_lower_pri',
  'notify_priority_changes',
  'notify_deleted',
  'kernel_rx_buf_size',
  'linkbeat_use_polling',
  'nopreempt_delay',
];

export function readVrrpInstance(r: Reader, node: ConfigNode, g: VrrpGlobals): VrrpInstance | null {
  const name = r.arg(node, 0, 'an instance name');
  if (!name || !r.needsBlock(node)) return null;
  let advertTok: Token | null = null;
  let vridSet = false;
  const v: VrrpInstance = {
    name: name.text,
    state: 'BACKUP',
    interface: '',
    virtualRouterId: 0,
    priority: 100,
    advertInt: 1000,
    version: g.version,
    nopreempt: false,
    preemptDelay: 0,
    authentication: null,
    virtualIpaddress: [],
    virtualIpaddressExcluded: [],
    virtualRoutes: [],
    virtualRules: [],
    mcastSrcIp: null,
    unicastSrcIp: null,
    unicastTtl: null,
    unicastPeer: [],
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    dontTrackPrimary: false,
    notifyMaster: null,
    notifyBackup: null,
    notifyFault: null,
    notifyStop: null,
    notify: null,
    garp: instanceGarp(g.garp),
    adverts: { ...g.adverts },
    accept: false,
    smtpAlert: null,
    useVmac: null,
    vmacXmitBase: false,
    strict: g.strict ?? false,
    source: { file: node.name.file, line: node.name.line },
  };
  let acceptSet = false;
  const notify =
    (key: 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop' | 'notify') => (n: ConfigNode) => {
      v[key] = readScript(r, n) as ScriptRef | null;
    };
  const table: Table = {
    state: (n) => {
      v.state = r.oneOf(n, ['MASTER', 'BACKUP'] as const) ?? v.state;
    },
    interface: (n) => {
      v.interface = r.string(n) ?? v.interface;
    },
    virtual_router_id: (n) => {
      const id = r.int(n, 1, 255);
      if (id !== null) {
        v.virtualRouterId = id;
        vridSet = true;
      }
    },
    priority: (n) => {
      v.priority = r.int(n, 1, 255) ?? v.priority;
    },
    advert_int: (n) => {
      advertTok = n.args[0] ?? null;
      v.advertInt = r.timer(n, 0, 255) ?? v.advertInt;
    },
    version: (n) => {
      v.version = (r.int(n, 2, 3) as 2 | 3 | null) ?? v.version;
    },
    nopreempt: () => {
      v.nopreempt = true;
    },
    preempt: () => {
      v.nopreempt = false;
    },
    preempt_delay: (n) => {
      v.preemptDelay = r.timer(n, 0, 1000) ?? v.preemptDelay;
    },
    authentication: (n) => {
      const auth = { type: 'PASS' as 'PASS' | 'AH', pass: '' };
      r.block(
        n,
        {
          auth_type: (a) => {
            auth.type = r.oneOf(a, ['PASS', 'AH'] as const) ?? auth.type;
            // Refused rather than sent without: a peer running AH would drop every advert.
            if (auth.type === 'AH')
              r.sink.error(
                a.args[0] ?? a.name,
                'auth_type AH is not supported: floatlb does not sign VRRPv2 adverts with an IPsec AH header; use auth_type PASS, or no authentication',
              );
          },
          auth_pass: (a) => {
            auth.pass = r.string(a) ?? auth.pass;
          },
        },
        'authentication',
      );
      v.authentication = auth;
    },
    virtual_ipaddress: (n) => append(v.virtualIpaddress, readVips(r, n)),
    virtual_ipaddress_excluded: (n) => append(v.virtualIpaddressExcluded, readVips(r, n)),
    virtual_routes: (n) => append(v.virtualRoutes, readRoutes(r, n)),
    virtual_rules: (n) => append(v.virtualRules, readRules(r, n)),
    mcast_src_ip: (n) => {
      v.mcastSrcIp = r.ip(n);
    },
    unicast_src_ip: (n) => {
      v.unicastSrcIp = r.ip(n);
    },
    unicast_peer: (n) => append(v.unicastPeer, readPeers(r, n)),
    unicast_ttl: (n) => {
      v.unicastTtl = r.int(n, 0, 255) ?? v.unicastTtl;
    },
    track_interface: (n) => append(v.trackInterface, readTrack(r, n, -253, 253)),
    track_script: (n) => append(v.trackScript, readTrack(r, n, -253, 253)),
    track_file: (n) => append(v.trackFile, readTrack(r, n, -254, 254)),
    track_process: (n) => append(v.trackProcess, readTrack(r, n, -254, 254)),
    dont_track_primary: () => {
      v.dontTrackPrimary = true;
    },
    notify_master: notify('notifyMaster'),
    notify_backup: notify('notifyBackup'),
    notify_fault: notify('notifyFault'),
    notify_stop: notify('notifyStop'),
    notify: notify('notify'),
    accept: () => {
      v.accept = true;
      acceptSet = true;
    },
    no_accept: () => {
      v.accept = false;
      acceptSet = true;
    },
    smtp_alert: (n) => {
      v.smtpAlert = r.bool(n);
    },
    use_vmac: (n) => {
      // The default name needs the VRID, which may come later in the block.
      v.useVmac = n.args[0]?.text ?? '';
      const mac = n.args[1];
      if (mac)
        r.sink.warning(
          mac,
          `use_vmac MAC address ${mac.text} is not supported: the VMAC is 00:00:5e:00:01:VRID`,
        );
    },
    vmac_xmit_base: () => {
      v.vmacXmitBase = true;
    },
    strict_mode: (n) => {
      v.strict = r.bool(n) ?? v.strict;
    },
    ...garpTable(r, v.garp, ''),
    ...advertTable(r, v.adverts, ''),
  };
  for (const k of IGNORED_INSTANCE_KEYWORDS) table[k] = () => {};
  r.block(node, table, 'vrrp_instance');
  if (!vridSet)
    return r.dropped(
      node.name,
      `vrrp_instance ${v.name} has no valid virtual_router_id (1..255): dropped, as keepalived does; it does not run`,
    );
  if (v.useVmac === '') v.useVmac = `vrrp.${v.virtualRouterId}`;
  if (!v.interface) {
    v.interface = g.defaultInterface ?? 'eth0';
    r.sink.warning(
      node.name,
      `vrrp_instance ${v.name} has no interface: using ${v.interface} (default_interface), as keepalived does`,
    );
  }
  if (v.version === 2 && v.advertInt % 1000 !== 0 && advertTok) {
    r.sink.warning(advertTok, `VRRPv2 advert_int must be whole seconds: rounding ${v.advertInt / 1000}s`);
    v.advertInt = Math.max(1000, Math.round(v.advertInt / 1000) * 1000);
  }
  if (v.version === 3 && v.advertInt % 10 !== 0 && advertTok) {
    r.sink.warning(advertTok, `VRRPv3 advert_int has centisecond resolution: rounding`);
    v.advertInt = Math.max(10, Math.round(v.advertInt / 10) * 10);
  }
  if (v.authentication && v.version === 3) {
    r.sink.warning(node.name, `authentication is not part of VRRPv3: ignored`);
    v.authentication = null;
  }
  if (v.strict) return applyStrict(r, node, v, acceptSet) ? v : null;
  // keepalived's default outside strict mode: accept (and the owner always does).
  if (!acceptSet) v.accept = true;
  return v;
}

function readPeers(r: Reader, node: ConfigNode): UnicastPeer[] {
  const out: UnicastPeer[] = [];
  for (const c of node.children ?? []) {
    const address = r.ipToken(c.name, 'unicast peer');
    if (!address) continue;
    const p: UnicastPeer = { address, minTtl: null, maxTtl: null };
    for (let i = 0; i < c.args.length; i += 2) {
      const k = c.args[i]!;
      const val = c.args[i + 1];
      if ((k.text === 'min_ttl' || k.text === 'max_ttl') && val) {
        const n = r.intToken(val, 0, 255, k.text);
        if (k.text === 'min_ttl') p.minTtl = n;
        else p.maxTtl = n;
      } else r.invalid(k, 'unicast_peer option', 'min_ttl N or max_ttl N');
    }
    out.push(p);
  }
  return out;
}
