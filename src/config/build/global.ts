// global_defs.
import type { GlobalDefs, LvsSyncDaemon } from '../model.js';
import type { ConfigNode } from '../parser.js';
import { append, type Reader, type Table } from '../values.js';
import { advertTable, DEFAULT_ADVERT_KNOBS, garpTable, globalGarpTable } from './vrrp-garp.js';

export function defaultGlobalDefs(): GlobalDefs {
  return {
    routerId: null,
    notificationEmail: [],
    notificationEmailFrom: null,
    smtpServer: null,
    smtpHeloName: null,
    smtpConnectTimeout: 30_000,
    smtpAlert: null,
    vrrpVersion: 2,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    defaultInterface: null,
    lvsSyncDaemon: null,
    lvsFlush: false,
    lvsFlushOnStop: false,
    lvsTimeouts: { tcp: null, tcpFin: null, udp: null },
    scriptUser: null,
    scriptGroup: null,
    enableScriptSecurity: false,
    vrrpStrict: false,
    garp: {
      masterDelay: 5000,
      masterRepeat: 5,
      masterRefresh: 0,
      masterRefreshRepeat: 1,
      lowerPrioDelay: null,
      lowerPrioRepeat: null,
    },
    vrrpGarpInterval: 0,
    vrrpGnaInterval: 0,
    adverts: { ...DEFAULT_ADVERT_KNOBS },
    vrrpSkipCheckAdvAddr: false,
    floatlbApiSocket: null,
  };
}

/** Keywords keepalived accepts in global_defs that floatlb does not model. */
const IGNORED = [
  'tmp_config_directory',
  'config_save_dir',
  'process_names',
  'process_name',
  'vrrp_process_name',
  'checker_process_name',
  'bfd_process_name',
  'startup_script',
  'startup_script_timeout',
  'shutdown_script',
  'shutdown_script_timeout',
  'smtp_alert_vrrp',
  'smtp_alert_checker',
  'checker_log_all_failures',
  'no_email_faults',
  'dynamic_interfaces',
  'vrrp_iptables',
  'vrrp_ipsets',
  'vrrp_nftables',
  'vrrp_nftables_priority',
  'vrrp_nftables_ifindex',
  'vrrp_priority',
  'checker_priority',
  'bfd_priority',
  'vrrp_no_swap',
  'checker_no_swap',
  'bfd_no_swap',
  'vrrp_rt_priority',
  'checker_rt_priority',
  'bfd_rt_priority',
  'vrrp_cpu_affinity',
  'checker_cpu_affinity',
  'bfd_cpu_affinity',
  'snmp_socket',
  'enable_snmp_vrrp',
  'enable_snmp_keepalived',
  'enable_snmp_checker',
  'enable_snmp_rfc',
  'enable_snmp_rfcv2',
  'enable_snmp_rfcv3',
  'enable_traps',
  'enable_dbus',
  'enable_dbus_instance',
  'notify_fifo',
  'notify_fifo_script',
  'vrrp_notify_fifo',
  'vrrp_notify_fifo_script',
  'lvs_notify_fifo',
  'lvs_notify_fifo_script',
  'vrrp_netlink_cmd_rcv_bufs',
  'vrrp_netlink_cmd_rcv_bufs_force',
  'vrrp_netlink_monitor_rcv_bufs',
  'vrrp_netlink_monitor_rcv_bufs_force',
  'lvs_netlink_cmd_rcv_bufs',
  'lvs_netlink_cmd_rcv_bufs_force',
  'lvs_netlink_monitor_rcv_bufs',
  'lvs_netlink_monitor_rcv_bufs_force',
  'rs_init_notifies',
  'no_checker_emails',
  'vrrp_rx_bufs_policy',
  'vrrp_rx_bufs_multiplier',
  'vrrp_startup_delay',
  'log_unknown_vrids',
  'vrrp_owner_ignore_other_priority',
  'vrrp_garp_extra_if',
  'random_seed',
  'reload_time_file',
  'reload_repeat',
  'reload_file',
  'data_use_instance',
  'umask',
  'max_auto_priority',
  'min_auto_priority_delay',
  'nftables',
  'nftables_priority',
  'nftables_ifindex',
  'nftables_counters',
  'ipvs_timeouts',
];

export function readGlobalDefs(r: Reader, node: ConfigNode, g: GlobalDefs): void {
  if (!r.needsBlock(node)) return;
  const table: Table = {
    router_id: (n) => {
      g.routerId = r.string(n);
    },
    notification_email: (n) =>
      append(
        g.notificationEmail,
        r.words(n).map((t) => t.text),
      ),
    notification_email_from: (n) => {
      g.notificationEmailFrom = r.string(n);
    },
    smtp_server: (n) => {
      const host = r.arg(n, 0, 'an address or host name');
      const port = n.args[1] ? r.intToken(n.args[1], 1, 65535, 'smtp_server port') : 25;
      if (host && port !== null) g.smtpServer = { address: host.text, port };
    },
    smtp_helo_name: (n) => {
      g.smtpHeloName = r.string(n);
    },
    smtp_connect_timeout: (n) => {
      g.smtpConnectTimeout = r.timer(n) ?? g.smtpConnectTimeout;
    },
    smtp_alert: (n) => {
      g.smtpAlert = r.bool(n);
    },
    vrrp_version: (n) => {
      g.vrrpVersion = (r.int(n, 2, 3) as 2 | 3 | null) ?? g.vrrpVersion;
    },
    vrrp_mcast_group4: (n) => {
      g.vrrpMcastGroup4 = r.ip(n) ?? g.vrrpMcastGroup4;
    },
    vrrp_mcast_group6: (n) => {
      g.vrrpMcastGroup6 = r.ip(n) ?? g.vrrpMcastGroup6;
    },
    default_interface: (n) => {
      g.defaultInterface = r.string(n);
    },
    lvs_sync_daemon: (n) => {
      g.lvsSyncDaemon = readSyncDaemon(r, n);
    },
    lvs_flush: (n) => {
      g.lvsFlush = r.flag(n);
    },
    lvs_flush_on_stop: () => {
      g.lvsFlushOnStop = true;
    },
    lvs_flush_onstop: () => {
      g.lvsFlushOnStop = true;
    },
    lvs_timeouts: (n) => {
      for (let i = 0; i + 1 < n.args.length; i += 2) {
        const k = n.args[i]!;
        const v = r.intToken(n.args[i + 1]!, 1, 86400 * 31, `lvs_timeouts ${k.text}`);
        if (v === null) continue;
        if (k.text === 'tcp') g.lvsTimeouts.tcp = v * 1000;
        else if (k.text === 'tcpfin') g.lvsTimeouts.tcpFin = v * 1000;
        else if (k.text === 'udp') g.lvsTimeouts.udp = v * 1000;
        else r.invalid(k, 'lvs_timeouts protocol', 'tcp, tcpfin or udp');
      }
    },
    script_user: (n) => {
      g.scriptUser = r.string(n);
      g.scriptGroup = n.args[1]?.text ?? null;
    },
    enable_script_security: () => {
      g.enableScriptSecurity = true;
    },
    vrrp_strict: () => {
      g.vrrpStrict = true;
    },
    vrrp_skip_check_adv_addr: (n) => {
      g.vrrpSkipCheckAdvAddr = r.bool(n) ?? g.vrrpSkipCheckAdvAddr;
    },
    floatlb_api_socket: (n) => {
      g.floatlbApiSocket = r.string(n);
    },
    ...garpTable(r, g.garp, 'vrrp_'),
    ...globalGarpTable(r, g),
    ...advertTable(r, g.adverts, 'vrrp_'),
  };
  for (const k of IGNORED) table[k] = () => {};
  r.block(node, table, 'global_defs');
}

/** lvs_sync_daemon IFACE [[inst] INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP] */
function readSyncDaemon(r: Reader, n: ConfigNode): LvsSyncDaemon | null {
  const iface = r.arg(n, 0, 'an interface');
  if (!iface) return null;
  const d: LvsSyncDaemon = {
    interface: iface.text,
    instance: null,
    syncId: null,
    maxlen: null,
    port: null,
    ttl: null,
    group: null,
  };
  const ranges: Record<string, [keyof LvsSyncDaemon, number, number]> = {
    id: ['syncId', 0, 255],
    maxlen: ['maxlen', 1, 65507],
    port: ['port', 1, 65535],
    ttl: ['ttl', 1, 255],
  };
  for (let i = 1; i < n.args.length; i++) {
    const k = n.args[i]!;
    const v = n.args[i + 1];
    const range = ranges[k.text];
    if (range && v) {
      (d as unknown as Record<string, number | null>)[range[0]] = r.intToken(
        v,
        range[1],
        range[2],
        `lvs_sync_daemon ${k.text}`,
      );
      i++;
    } else if (k.text === 'group' && v) {
      d.group = r.ipToken(v, 'lvs_sync_daemon group');
      i++;
    } else if (k.text === 'inst' && v) {
      d.instance = v.text;
      i++;
    } else if (i === 1 && !range) d.instance = k.text;
    else r.invalid(k, 'lvs_sync_daemon option', 'inst NAME, id N, maxlen N, port N, ttl N, group IP');
  }
  return d;
}
