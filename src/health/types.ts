// Input and output types of the health checker. The director maps the config
// model onto CheckSpec; nothing here depends on src/config. Times are in ms.
import type { TlsClientFiles } from './tls-context.js';

/** Fields every checker kind shares (keepalived's common checker keywords). */
export interface CheckCommon {
  /** Address to probe; defaults to the real server's address. */
  connectIp?: string;
  /** Port to probe; defaults to the real server's port. */
  connectPort?: number;
  /** Source address to bind before connecting. */
  bindto?: string;
  /** Source port to bind before connecting. */
  bindPort?: number;
  /** Per-attempt timeout covering connect and read (default 5000). */
  connectTimeout?: number;
  /** Extra attempts before a failure counts (`retry`/`nb_get_retry`; default 1, DNS 3, MISC 0). */
  retry?: number;
  /** Pause between attempts (default 1000; HTTP/SSL 3000; DNS delay_loop). */
  delayBeforeRetry?: number;
  /** Random delay, up to this, before the first run (default: delay_loop, as keepalived; 0 disables). */
  warmup?: number;
  /** Interval between runs (default 60000, as keepalived). */
  delayLoop?: number;
  /** Consecutive successes needed to go up (floatlb extension; default 1). */
  rise?: number;
  /** Consecutive failures needed to go down, counted after retries (default 1). */
  fall?: number;
  /** keepalived `alpha`: this check starts DOWN (default: the target's alpha). */
  alpha?: boolean;
}

export interface TcpCheck extends CheckCommon {
  type: 'TCP_CHECK';
}

/** An HTTP status matcher: one code or an inclusive range. */
export interface StatusRange {
  from: number;
  to: number;
}

export interface UrlSpec {
  path: string;
  /** Hex MD5 of the expected body. */
  digest?: string;
  /** Accepted codes (default 200-299). */
  statusCode?: StatusRange[];
  /** Pattern the body must match (or must not, with regexNoMatch). */
  regex?: string;
  regexNoMatch?: boolean;
  /** Override the check's virtualhost for this url. */
  virtualhost?: string;
}

export interface HttpCheck extends CheckCommon {
  type: 'HTTP_GET' | 'SSL_GET';
  url: UrlSpec[];
  /** Host header (default: the connect address). */
  virtualhost?: string;
  /** SSL_GET: send SNI (virtualhost, else the address when it is a name). */
  enableSni?: boolean;
  /** 'HTTP/1.0' (keepalived's default) or 'HTTP/1.1'. */
  httpProtocol?: '1.0' | '1.1';
  /** SSL_GET: verify the server certificate (keepalived does not). */
  verifyCert?: boolean;
  /** SSL_GET: the SSL block's files (absent: a context with no client certificate). */
  tls?: TlsClientFiles;
}

export interface UdpCheck extends CheckCommon {
  type: 'UDP_CHECK';
  /** Bytes to send (default: empty datagram). */
  payload?: Uint8Array;
  /** A reply is needed; when non-empty, the reply must start with these bytes. */
  requireReply?: Uint8Array;
  /** Accepted reply length (defaults 0 and 255, as keepalived). */
  minReplyLength?: number;
  maxReplyLength?: number;
}

export type DnsType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';

export interface DnsCheck extends CheckCommon {
  type: 'DNS_CHECK';
  /** Query type (default SOA, as keepalived). */
  dnsType?: DnsType;
  /** Query name (default "."). */
  name?: string;
}

export interface MiscCheck extends CheckCommon {
  type: 'MISC_CHECK';
  /** Command line: the script path and its arguments, split on spaces. */
  miscPath: string;
  /** Script timeout (default: delayLoop). */
  miscTimeout?: number;
  /** Exit 0 up, 1 down, 2..255 up with weight code-2. */
  miscDynamic?: boolean;
  /** User (and optional group) to run as; default root when the daemon is root. */
  user?: string;
  group?: string;
  /** Refuse scripts that a non-root user could change when running as root. */
  enableScriptSecurity?: boolean;
}

export interface PingCheck extends CheckCommon {
  type: 'PING_CHECK';
}

/** One SMTP server to talk to; unset fields come from the check. */
export interface SmtpHostSpec {
  connectIp?: string;
  connectPort?: number;
  bindto?: string;
}

export interface SmtpCheck extends CheckCommon {
  type: 'SMTP_CHECK';
  /** Name sent with HELO (keepalived's default: smtpchecker.keepalived.org). */
  heloName?: string;
  /** keepalived's `host {}` blocks: tested one after another, all must pass. Empty: the check's own address. */
  hosts?: SmtpHostSpec[];
}

export interface FileCheck extends CheckCommon {
  type: 'FILE_CHECK';
  /** The file whose leading integer is read. */
  path: string;
  /** 0: a non-zero value fails (zero fails with reverse). Else value x weight adjusts the weight. */
  weight: number;
  reverse?: boolean;
}

export type CheckSpec =
  | TcpCheck
  | HttpCheck
  | UdpCheck
  | DnsCheck
  | MiscCheck
  | PingCheck
  | SmtpCheck
  | FileCheck;
export type CheckType = CheckSpec['type'];

/** A check bound to the real server it tests: the address it falls back to. */
export type BoundCheck = CheckSpec & { host: string; port: number };

export interface ProbeResult {
  ok: boolean;
  reason?: string;
  /** MISC_CHECK with misc_dynamic: the weight the script asked for. */
  weight?: number;
  /** FILE_CHECK with a weight: added to the real server's weight. */
  weightDelta?: number;
  latencyMs: number;
}

export type Prober<S extends BoundCheck = BoundCheck> = (
  spec: S,
  signal: AbortSignal,
) => Promise<ProbeResult>;

/** A real server and the checks that decide its state (all must pass). */
export interface TargetSpec {
  /** Stable identity, e.g. "10.0.0.1:80/10.0.1.5:8080". */
  id: string;
  host: string;
  port: number;
  checks: CheckSpec[];
  /** keepalived `alpha`: start DOWN and come up on the first pass. */
  alpha?: boolean;
}

export interface StateEvent {
  target: string;
  up: boolean;
  reason: string;
  weight?: number;
  weightDelta?: number;
}

export interface ProbeEvent {
  target: string;
  check: number;
  type: CheckType;
  ok: boolean;
  latencyMs: number;
  reason?: string;
  /** True when the tick was skipped because the previous probe still ran. */
  skipped?: boolean;
}

export const DEFAULTS = {
  connectTimeout: 5000,
  delayLoop: 60_000,
  rise: 1,
  fall: 1,
} as const;

/** Timing with keepalived's per-type defaults filled in. */
export interface Timing {
  connectTimeout: number;
  retry: number;
  delayBeforeRetry: number;
  warmup: number;
  delayLoop: number;
  rise: number;
  fall: number;
}

export function resolveTiming(spec: CheckSpec): Timing {
  const delayLoop = spec.delayLoop ?? DEFAULTS.delayLoop;
  const retry =
    spec.retry ??
    (spec.type === 'DNS_CHECK' ? 3 : spec.type === 'MISC_CHECK' || spec.type === 'FILE_CHECK' ? 0 : 1);
  const delayBeforeRetry =
    spec.delayBeforeRetry ??
    (spec.type === 'DNS_CHECK'
      ? delayLoop
      : spec.type === 'HTTP_GET' || spec.type === 'SSL_GET'
        ? 3000
        : 1000);
  return {
    connectTimeout: spec.connectTimeout ?? DEFAULTS.connectTimeout,
    retry: Math.max(0, retry),
    delayBeforeRetry: Math.max(0, delayBeforeRetry),
    warmup: Math.max(0, spec.warmup ?? delayLoop),
    delayLoop: Math.max(1, delayLoop),
    rise: Math.max(1, spec.rise ?? DEFAULTS.rise),
    fall: Math.max(1, spec.fall ?? DEFAULTS.fall),
  };
}
