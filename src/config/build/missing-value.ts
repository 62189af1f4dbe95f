// What keepalived 2.2.7 does with a keyword written without its value, where
// that differs from floatlb's reader for the keyword: most of its handlers stop
// the whole load (exit 2, "missing a parameter"), some report it and go on
// without the setting. Measured keyword by keyword with `keepalived -t`
// (bench/bare-keywords.ts; test/host/config-bare-keywords.test.ts keeps it
// true); keywords not listed behave as floatlb's readers already do.

export type MissingValue = 'refuse' | 'ignore';

const REFUSE: Record<string, readonly string[]> = {
  top: ['child_wait_time'],
  global_defs: [
    'process_name',
    'vrrp_process_name',
    'checker_process_name',
    'lvs_process_name',
    'bfd_process_name',
    'vrrp_down_timer_adverts',
    'vrrp_garp_interval',
    'vrrp_gna_interval',
    'nftables_priority',
    'nftables_ipvs_priority',
    'nftables_ipvs_start_fwmark',
    'vrrp_rlimit_rttime',
    'vrrp_rlimit_rtime',
    'checker_rlimit_rttime',
    'checker_rlimit_rtime',
    'bfd_rlimit_rttime',
    'bfd_rlimit_rtime',
    'vrrp_startup_delay',
    'vmac_prefix',
    'vmac_addr_prefix',
    'umask',
    'random_seed',
    'config_save_dir',
  ],
  vrrp_instance: [
    'vrf',
    'mcast_dst_ip',
    'debug',
    'notify_master_rx_lower_pri',
    'lvs_sync_daemon_interface',
    'down_timer_adverts',
  ],
};

const IGNORE: Record<string, readonly string[]> = {
  global_defs: [
    'router_id',
    'notification_email_from',
    'smtp_helo_name',
    'default_interface',
    'lvs_sync_daemon',
    'script_user',
    'floatlb_api_socket',
  ],
  vrrp_script: ['script'],
  vrrp_track_process: ['weight'],
  track_file: ['file', 'weight'],
  vrrp_track_file: ['file', 'weight'],
  virtual_server: ['sorry_server_lvs_method', 'virtualhost', 'nb_get_retry'],
  real_server: ['virtualhost', 'nb_get_retry', 'lb_kind'],
  checker: ['nb_get_retry'],
  HTTP_GET: ['http_protocol', 'virtualhost'],
  SSL_GET: ['http_protocol', 'virtualhost'],
  url: ['status_code', 'virtualhost', 'regex', 'regex_min_offset', 'regex_max_offset'],
  SMTP_CHECK: ['helo_name'],
  MISC_CHECK: ['misc_path', 'user'],
  FILE_CHECK: ['weight', 'file'],
};

const RULES = new Map<string, MissingValue>();
for (const [table, verdict] of [
  [REFUSE, 'refuse'],
  [IGNORE, 'ignore'],
] as const)
  for (const [context, keywords] of Object.entries(table))
    for (const k of keywords) RULES.set(`${context} ${k}`, verdict);

/** keepalived's treatment of keyword without a value in context, when floatlb must follow it; undefined otherwise. */
export function missingValue(context: string, keyword: string, checker: boolean): MissingValue | undefined {
  return RULES.get(`${context} ${keyword}`) ?? (checker ? RULES.get(`checker ${keyword}`) : undefined);
}

/** Every rule, for the test that checks them against keepalived. */
export function missingValueRules(): Array<[context: string, keyword: string, verdict: MissingValue]> {
  return [...RULES].map(([k, v]) => {
    const [context, keyword] = k.split(' ') as [string, string];
    return [context, keyword, v];
  });
}
