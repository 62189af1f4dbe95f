// The control API's transport: HTTP/JSON on a unix socket (peer credentials
// decide) and optionally on TCP (a bearer token decides, TLS optional).
import { chmodSync, chownSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { type PeerCredentials, peerCredentials } from '../kernel/peercred.js';
import { logger } from '../util/log.js';
import type { EventKind } from './events.js';
import { findRoute, type Reply, type RouteContext, route } from './routes.js';
import {
  ADMIN_HEADER,
  handleLogin,
  isLocalHost,
  presentedToken,
  sendLogin,
  serveStatus,
  tokenEquals,
  tokenIdentity,
} from './status-http.js';
import type { StatusSources } from './status-view.js';

const log = logger('api');
const MAX_BODY = 64 * 1024;

export interface UnixListenerOptions {
  readonly path: string;
  /** Default 0o660. */
  readonly mode?: number;
  /** Group owning the socket; its members may call the API. */
  readonly gid?: number;
}

export interface TcpListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface ApiOptions {
  readonly unix?: UnixListenerOptions;
  readonly tcp?: TcpListenerOptions;
  /** Groups allowed on the unix socket besides root (default: the socket's group). */
  readonly allowGids?: readonly number[];
  readonly metrics: Registry;
  /** What the status page shows; without it `/` is not served. */
  readonly status?: StatusSources;
  /**
   * The read-only status listener: no token on a loopback address, the API
   * token on any other (it needs `tcp.token` or `statusToken` then).
   */
  readonly statusListen?: { readonly host: string; readonly port: number };
  readonly statusToken?: string;
}

type Caller =
  | { kind: 'unix'; cred: PeerCredentials | null }
  | { kind: 'tcp'; remote: string; secure: boolean }
  | { kind: 'status'; remote: string; local: boolean };

/** Who made a request, for the event log: peer credentials or the token's fingerprint. */
function whoIs(c: Caller, req: IncomingMessage): string {
  if (c.kind === 'unix') return c.cred ? `uid ${c.cred.uid} pid ${c.cred.pid}` : 'unix (unknown peer)';
  const t = presentedToken(req);
  return `${t ? tokenIdentity(t.token) : 'no token'} from ${c.remote}`;
}

function eventKind(path: string): EventKind {
  if (/\/(link|unlink)$/.test(path)) return 'link';
  if (path.startsWith('/v1/reload')) return 'reload';
  return 'admin';
}

/**
 * JSON unless the route answers in text only, or offers text and the client
 * asked for it (`Accept: text/plain`): then one line, the state or the error.
 */
function send(res: ServerResponse, reply: Reply, wantsText: boolean): void {
  let text: string;
  let type: string;
  if (reply.text !== undefined && (wantsText || reply.contentType !== undefined)) {
    text = reply.contentType ? reply.text : `${reply.text.replace(/[\r\n]+/g, ' ')}\n`;
    type = reply.contentType ?? 'text/plain; charset=utf-8';
  } else {
    text = `${JSON.stringify(reply.body, null, 2)}\n`;
    type = 'application/json';
  }
  res.writeHead(reply.status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function wantsText(req: IncomingMessage, method: string, path: string): boolean {
  const produces = findRoute(method, path)?.route.produces ?? 'json';
  if (produces === 'text') return true;
  return produces === 'json-or-text' && /(^|[\s,])text\/plain\b/i.test(req.headers.accept ?? '');
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new RangeError(`request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  if (!size) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new SyntaxError(`request body is not JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SyntaxError('request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export class ApiServer {
  private readonly servers: Server[] = [];
  private readonly creds = new WeakMap<Socket, PeerCredentials | null>();

  private readonly ctx: RouteContext;

  constructor(
    ctx: RouteContext,
    private readonly opts: ApiOptions,
  ) {
    const registry = opts.metrics;
    this.ctx = {
      ...ctx,
      metrics: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
    };
  }

  async listen(): Promise<void> {
    const { unix, tcp } = this.opts;
    if (unix) {
      const s = createHttp(
        (req, res) => void this.handle(req, res, { kind: 'unix', cred: this.creds.get(req.socket) ?? null }),
      );
      s.on('connection', (sock: Socket) => {
        const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
        try {
          this.creds.set(sock, fd !== undefined && fd >= 0 ? peerCredentials(fd) : null);
        } catch {
          this.creds.set(sock, null);
        }
      });
      rmSync(unix.path, { force: true });
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(unix.path, resolve));
      if (unix.gid !== undefined) chownSync(unix.path, 0, unix.gid);
      chmodSync(unix.path, unix.mode ?? 0o660);
      this.servers.push(s);
      log.info(
        { path: unix.path, mode: (unix.mode ?? 0o660).toString(8), gid: unix.gid },
        'API on unix socket',
      );
    }
    if (tcp) {
      const handler = (req: IncomingMessage, res: ServerResponse) =>
        void this.handle(req, res, {
          kind: 'tcp',
          remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
          secure: Boolean(tcp.tls),
        });
      const s = tcp.tls
        ? createHttps({ cert: readFileSync(tcp.tls.cert), key: readFileSync(tcp.tls.key) }, handler)
        : createHttp(handler);
      await new Promise<void>((resolve, reject) =>
        s.once('error', reject).listen(tcp.port, tcp.host, resolve),
      );
      this.servers.push(s);
      log.info({ host: tcp.host, port: tcp.port, tls: Boolean(tcp.tls) }, 'API on TCP');
    }
    const sl = this.opts.statusListen;
    if (sl) {
      const local = isLocalHost(sl.host);
      if (!local && !this.statusToken()) {
        throw new Error(
          `--status-listen ${sl.host}:${sl.port} is not a loopback address: it needs the API token`,
        );
      }
      const s = createHttp(
        (req, res) =>
          void this.handle(req, res, {
            kind: 'status',
            remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
            local,
          }),
      );
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(sl.port, sl.host, resolve));
      this.statusServer = s;
      this.servers.push(s);
      log.info({ host: sl.host, port: sl.port, token: !local }, 'read-only status page on TCP');
    }
  }

  private statusServer: Server | null = null;

  private statusToken(): string | undefined {
    return this.opts.statusToken ?? this.opts.tcp?.token;
  }

  /** The port of the read-only status listener (for listen port 0). */
  statusPort(): number | null {
    const a = this.statusServer?.address();
    return a && typeof a === 'object' ? a.port : null;
  }

  /** The TCP port actually bound (for listen port 0). */
  tcpPort(): number | null {
    for (const s of this.servers) {
      if (s === this.statusServer) continue;
      const a = s.address();
      if (a && typeof a === 'object') return a.port;
    }
    return null;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    if (this.opts.unix) rmSync(this.opts.unix.path, { force: true });
  }

  private authorize(c: Caller, req: IncomingMessage): [number, string] | null {
    const method = req.method ?? 'GET';
    if (c.kind === 'status' && method !== 'GET') return [403, 'the status listener is read-only'];
    if (c.kind === 'tcp' || (c.kind === 'status' && !c.local)) {
      const want = c.kind === 'tcp' ? this.opts.tcp!.token : this.statusToken()!;
      const t = presentedToken(req);
      if (!t || !tokenEquals(t.token, want)) return [401, 'missing or wrong bearer token'];
      // A cookie rides along with any request the browser makes: changes need the page's header too.
      if (t.via === 'cookie' && method !== 'GET' && req.headers[ADMIN_HEADER] !== '1') {
        return [403, `a change authenticated by cookie needs the ${ADMIN_HEADER} header`];
      }
      return null;
    }
    if (c.kind === 'status') return null;
    if (!c.cred) return [403, 'peer credentials unavailable'];
    if (c.cred.uid === 0) return null;
    const allowed = this.opts.allowGids ?? (this.opts.unix?.gid !== undefined ? [this.opts.unix.gid] : []);
    return c.cred.groups.some((g) => allowed.includes(g))
      ? null
      : [403, `uid ${c.cred.uid} is not in an allowed group`];
  }

  private async handle(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const who =
      caller.kind === 'unix' ? { uid: caller.cred?.uid, pid: caller.cred?.pid } : { remote: caller.remote };
    const text = wantsText(req, method, path);
    let reply: Reply;
    const bare = path.split('?')[0]!;
    const page = method === 'GET' && (bare === '/' || bare === '/index.html');
    try {
      if (method === 'POST' && bare === '/login' && caller.kind !== 'unix') {
        const want = caller.kind === 'tcp' ? this.opts.tcp!.token : this.statusToken();
        const status = want ? await handleLogin(req, res, want, caller.kind === 'tcp' && caller.secure) : 404;
        if (!want) send(res, { status, body: { error: 'this listener takes no token' } }, false);
        log.info({ ...who, method, path: bare, status }, 'api');
        return;
      }
      const denied = this.authorize(caller, req);
      if (denied && page && denied[0] === 401) {
        sendLogin(res, 401);
        log.info({ ...who, method, path: bare, status: 401 }, 'api');
        return;
      }
      if (denied) {
        reply = { status: denied[0], body: { error: denied[1] }, text: denied[1] };
        if (denied[0] === 401) res.setHeader('www-authenticate', 'Bearer');
        if (method !== 'GET')
          this.opts.status?.events.add('refused', `${method} ${bare}: ${denied[1]}`, whoIs(caller, req));
      } else if (
        method === 'GET' &&
        this.opts.status &&
        (await serveStatus(bare, res, this.opts.status, caller.kind !== 'status'))
      ) {
        log.debug({ ...who, method, path: bare }, 'api');
        return;
      } else {
        let body: Record<string, unknown> | null = null;
        let bad: string | null = null;
        try {
          body = await readBody(req);
        } catch (e) {
          bad = (e as Error).message;
        }
        reply =
          bad !== null
            ? { status: 400, body: { error: bad }, text: bad }
            : await route(this.ctx, method, path, body);
        if (method !== 'GET' && this.opts.status) {
          const detail = body ? ` ${JSON.stringify(body)}` : '';
          const b = reply.body;
          const why = b && typeof b === 'object' && 'error' in b ? b.error : undefined;
          const err =
            reply.status >= 400 ? `: ${typeof why === 'string' ? why : (reply.text ?? reply.status)}` : '';
          this.opts.status.events.add(
            reply.status >= 400 ? 'refused' : eventKind(bare),
            `${method} ${bare}${detail}${err}`,
            whoIs(caller, req),
          );
        }
      }
    } catch (e) {
      log.error({ err: e, method, path }, 'API handler failed');
      const error = (e as Error).message;
      reply = { status: 500, body: { error }, text: error };
    }
    send(res, reply, text);
    const status = reply.status;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const entry = { ...who, method, path, status, ms: Math.round(ms * 10) / 10 };
    if (method === 'GET' && status < 400) log.debug(entry, 'api');
    else log.info(entry, 'api');
  }
}
