// Maps the config's checkers onto the health checker's targets.
import type { Checker, FloatlbConfig, RealServer, ScriptRef, VirtualServer } from '../config/model.js';
import type { NotifyScript, TargetConfig } from '../health/index.js';
import type { CheckSpec, StatusRange } from '../health/types.js';
import { realServerKey } from './desired.js';

/** Checkers the config accepts that the director does not run (yet). */
export const UNSUPPORTED_CHECKERS = new Set(['SMTP_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK']);

const hexBytes = (hex: string | null): Uint8Array | undefined =>
  hex === null ? undefined : Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

export function toCheckSpec(c: Checker, enableScriptSecurity: boolean): CheckSpec | null {
  if (c.type === 'MISC_CHECK') {
    return {
      type: 'MISC_CHECK',
      miscPath: c.path,
      miscTimeout: c.timeout,
      miscDynamic: c.dynamic,
      ...(c.user ? { user: c.user } : {}),
      ...(c.group ? { group: c.group } : {}),
      enableScriptSecurity,
      retry: c.retry,
      delayBeforeRetry: c.delayBeforeRetry,
      warmup: c.warmup,
      delayLoop: c.delayLoop,
      alpha: c.alpha,
    };
  }
  if (UNSUPPORTED_CHECKERS.has(c.type) || !('connectIp' in c)) return null;
  const common = {
    connectIp: c.connectIp,
    connectPort: c.connectPort,
    ...(c.bindTo ? { bindto: c.bindTo } : {}),
    ...(c.bindPort !== null ? { bindPort: c.bindPort } : {}),
    connectTimeout: c.connectTimeout,
    retry: c.retry,
    delayBeforeRetry: c.delayBeforeRetry,
    warmup: c.warmup,
    delayLoop: c.delayLoop,
    alpha: c.alpha,
  };
  switch (c.type) {
    case 'TCP_CHECK':
      return { type: 'TCP_CHECK', ...common };
    case 'HTTP_GET':
    case 'SSL_GET':
      return {
        type: c.type,
        ...common,
        url: c.urls.map((u) => ({
          path: u.path,
          ...(u.digest ? { digest: u.digest } : {}),
          statusCode: u.statusCodes.map(([from, to]): StatusRange => ({ from, to })),
          ...(u.regex ? { regex: u.regex, regexNoMatch: u.regexNoMatch } : {}),
          ...(u.virtualhost ? { virtualhost: u.virtualhost } : {}),
        })),
        ...(c.virtualhost ? { virtualhost: c.virtualhost } : {}),
        enableSni: c.enableSni,
        ...(c.httpProtocol === '1.1' ? { httpProtocol: '1.1' as const } : {}),
      };
    case 'UDP_CHECK': {
      const payload = hexBytes(c.payload);
      const reply = c.requireReply ? (hexBytes(c.requireReplyData) ?? new Uint8Array()) : undefined;
      return {
        type: 'UDP_CHECK',
        ...common,
        ...(payload ? { payload } : {}),
        ...(reply ? { requireReply: reply } : {}),
        minReplyLength: c.minReplyLength,
        maxReplyLength: c.maxReplyLength,
      };
    }
    case 'DNS_CHECK':
      return { type: 'DNS_CHECK', ...common, dnsType: c.queryType, name: c.name };
    default:
      return null;
  }
}

const notify = (s: ScriptRef | null): NotifyScript | undefined =>
  s
    ? { command: s.command, ...(s.user ? { user: s.user } : {}), ...(s.group ? { group: s.group } : {}) }
    : undefined;

function target(vs: VirtualServer, rs: RealServer, checks: CheckSpec[], id: string): TargetConfig {
  const up = notify(rs.notifyUp);
  const down = notify(rs.notifyDown);
  return {
    id,
    host: rs.address,
    port: rs.port,
    checks,
    alpha: vs.alpha,
    ...(up ? { notifyUp: up } : {}),
    ...(down ? { notifyDown: down } : {}),
  };
}

/**
 * A health target and what its result means: a real server's health, or its
 * role probe (is this node the active one?). The checker's id is opaque.
 */
export interface PlannedTarget {
  readonly config: TargetConfig;
  readonly purpose: 'health' | 'role';
  /** The real server it is about (realServerKey). */
  readonly realServer: string;
}

export interface TargetPlan {
  readonly targets: PlannedTarget[];
  /** Checker types present in the config that are parsed but not run. */
  readonly skipped: string[];
}

/** One target per real server with checkers, plus one per role probe. */
export function healthTargets(config: FloatlbConfig): TargetPlan {
  const security = config.globalDefs.enableScriptSecurity;
  const targets: PlannedTarget[] = [];
  const skipped = new Set<string>();
  const seen = new Set<string>();
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) {
      const key = realServerKey(vs, rs);
      if (seen.has(key)) continue;
      seen.add(key);
      const checks: CheckSpec[] = [];
      for (const c of rs.checkers) {
        const spec = toCheckSpec(c, security);
        if (spec) checks.push(spec);
        else skipped.add(c.type);
      }
      if (checks.length)
        targets.push({ config: target(vs, rs, checks, key), purpose: 'health', realServer: key });
      if (rs.roleProbe) {
        const spec = toCheckSpec(rs.roleProbe, security);
        if (spec) {
          const config = { id: `${key} role probe`, host: rs.address, port: rs.port, checks: [spec] };
          targets.push({ config, purpose: 'role', realServer: key });
        } else skipped.add(rs.roleProbe.type);
      }
    }
  }
  return { targets, skipped: [...skipped] };
}
