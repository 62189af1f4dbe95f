// Maps the config's checkers onto the health checker's targets.
import type {
  Checker,
  FloatlbConfig,
  RealServer,
  ScriptRef,
  VirtualServer,
  VrrpTrackFile,
} from '../config/model.js';
import {
  type NotifyScript,
  prepareTlsContext,
  type TargetConfig,
  type TlsClientFiles,
} from '../health/index.js';
import type { CheckSpec, StatusRange } from '../health/types.js';
import { realServerKey } from './desired.js';

const hexBytes = (hex: string | null): Uint8Array | undefined =>
  hex === null ? undefined : Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

/** What a checker may need from the rest of the config. */
export interface CheckContext {
  readonly enableScriptSecurity: boolean;
  /** global_defs script_user/script_group: who runs a MISC_CHECK that names no user. */
  readonly scriptUser: string | null;
  readonly scriptGroup: string | null;
  readonly trackFiles: readonly VrrpTrackFile[];
  /** The SSL block's files, for SSL_GET. */
  readonly tls: TlsClientFiles | null;
}

/** FILE_CHECK polls its file this often (keepalived reacts to inotify at once). */
export const FILE_CHECK_POLL_MS = 1000;

export function checkContext(config: FloatlbConfig): CheckContext {
  const g = config.globalDefs;
  return {
    enableScriptSecurity: g.enableScriptSecurity,
    scriptUser: g.scriptUser,
    scriptGroup: g.scriptGroup,
    trackFiles: config.vrrpTrackFiles,
    tls: tlsFiles(config),
  };
}

function tlsFiles(config: FloatlbConfig): TlsClientFiles | null {
  const s = config.ssl;
  if (!s) return null;
  return {
    ...(s.certificate ? { certificate: s.certificate.path } : {}),
    ...(s.key ? { key: s.key.path } : {}),
    ...(s.password !== null ? { password: s.password } : {}),
    ...(s.ca ? { ca: s.ca.path } : {}),
  };
}

/**
 * Loads the SSL block's files when some SSL_GET uses them, as keepalived's
 * checker does at start; what cannot be loaded, as "file:line:column: why".
 */
export function sslLoadProblem(config: FloatlbConfig): string | null {
  const s = config.ssl;
  const files = tlsFiles(config);
  if (!s || !files) return null;
  const used = config.virtualServers.some((v) =>
    v.realServers.some((r) => r.checkers.some((c) => c.type === 'SSL_GET')),
  );
  if (!used) return null;
  const p = prepareTlsContext(files);
  if (!p) return null;
  const at = s[p.setting] ?? s.key ?? s.certificate ?? s.ca;
  const where = at ? `${at.at.file}:${at.at.line}:${at.at.column}: ` : '';
  return `${where}SSL ${p.setting}: ${p.message}`;
}

/** The check the health checker runs for a configured checker; null for one it cannot run (BFD, refused by the config). */
export function toCheckSpec(c: Checker, ctx: CheckContext): CheckSpec | null {
  const enableScriptSecurity = ctx.enableScriptSecurity;
  if (c.type === 'FILE_CHECK') {
    const tf = ctx.trackFiles.find((t) => t.name === c.trackFile);
    if (!tf) return null;
    const own = c.weight !== 0;
    return {
      type: 'FILE_CHECK',
      path: tf.file,
      weight: own ? c.weight : tf.weight,
      reverse: own ? c.reverse : tf.weightReverse,
      delayLoop: FILE_CHECK_POLL_MS,
      warmup: 0,
      retry: 0,
      alpha: false,
    };
  }
  if (c.type === 'MISC_CHECK') {
    const user = c.user ?? ctx.scriptUser;
    const group = c.user ? c.group : ctx.scriptGroup;
    return {
      type: 'MISC_CHECK',
      miscPath: c.path,
      miscTimeout: c.timeout,
      miscDynamic: c.dynamic,
      ...(user ? { user } : {}),
      ...(user && group ? { group } : {}),
      enableScriptSecurity,
      retry: c.retry,
      delayBeforeRetry: c.delayBeforeRetry,
      warmup: c.warmup,
      delayLoop: c.delayLoop,
      alpha: c.alpha,
    };
  }
  if (!('connectIp' in c)) return null;
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
        ...(c.type === 'SSL_GET' && ctx.tls ? { tls: ctx.tls } : {}),
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
    case 'PING_CHECK':
      return { type: 'PING_CHECK', ...common };
    case 'SMTP_CHECK':
      return {
        type: 'SMTP_CHECK',
        ...common,
        ...(c.heloName !== null ? { heloName: c.heloName } : {}),
        hosts: c.hosts.map((h) => ({
          connectIp: h.connectIp,
          connectPort: h.connectPort,
          ...(h.bindTo ? { bindto: h.bindTo } : {}),
        })),
      };
    default:
      return null;
  }
}

/** A notify script, run as global_defs script_user when it names no user, as keepalived does. */
function notify(s: ScriptRef | null, ctx: CheckContext): NotifyScript | undefined {
  if (!s) return undefined;
  const user = s.user ?? ctx.scriptUser;
  const group = s.user ? s.group : ctx.scriptGroup;
  return { command: s.command, ...(user ? { user } : {}), ...(user && group ? { group } : {}) };
}

function target(
  vs: VirtualServer,
  rs: RealServer,
  checks: CheckSpec[],
  id: string,
  ctx: CheckContext,
): TargetConfig {
  const up = notify(rs.notifyUp, ctx);
  const down = notify(rs.notifyDown, ctx);
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
  /** Checker types present in the config that cannot run (the config refuses them first). */
  readonly skipped: string[];
}

/** One target per real server with checkers, plus one per role probe. */
export function healthTargets(config: FloatlbConfig): TargetPlan {
  const ctx = checkContext(config);
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
        const spec = toCheckSpec(c, ctx);
        if (spec) checks.push(spec);
        else skipped.add(c.type);
      }
      if (checks.length)
        targets.push({ config: target(vs, rs, checks, key, ctx), purpose: 'health', realServer: key });
      if (rs.roleProbe) {
        const spec = toCheckSpec(rs.roleProbe, ctx);
        if (spec) {
          const config = { id: `${key} role probe`, host: rs.address, port: rs.port, checks: [spec] };
          targets.push({ config, purpose: 'role', realServer: key });
        } else skipped.add(rs.roleProbe.type);
      }
    }
  }
  return { targets, skipped: [...skipped] };
}
