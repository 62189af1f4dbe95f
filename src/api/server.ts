// The control API's transport: HTTP/JSON on a unix socket (peer credentials
// decide) and optionally on TCP (a bearer token decides, TLS optional).
import { timingSafeEqual } from 'node:crypto';
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
import { type Json, type RouteContext, route } from './routes.js';

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
}

type Caller = { kind: 'unix'; cred: PeerCredentials | null } | { kind: 'tcp'; remote: string };

function sendJson(res: ServerResponse, status: number, body: Json): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
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

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class ApiServer {
  private readonly servers: Server[] = [];
  private readonly creds = new WeakMap<Socket, PeerCredentials | null>();

  constructor(
    private readonly ctx: RouteContext,
    private readonly opts: ApiOptions,
  ) {}

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
  }

  /** The TCP port actually bound (for listen port 0). */
  tcpPort(): number | null {
    for (const s of this.servers) {
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
    if (c.kind === 'tcp') {
      return tokenMatches(req.headers.authorization, this.opts.tcp!.token)
        ? null
        : [401, 'missing or wrong bearer token'];
    }
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
    let status = 500;
    let answer: Json = null;
    try {
      const denied = this.authorize(caller, req);
      if (denied) {
        [status, answer] = [denied[0], { error: denied[1] }];
        if (denied[0] === 401) res.setHeader('www-authenticate', 'Bearer');
      } else if (method === 'GET' && path.split('?')[0] === '/metrics') {
        const text = await this.opts.metrics.metrics();
        res.writeHead(200, { 'content-type': this.opts.metrics.contentType });
        res.end(text);
        return;
      } else {
        let body: Record<string, unknown> | null = null;
        try {
          body = await readBody(req);
        } catch (e) {
          [status, answer] = [400, { error: (e as Error).message }];
        }
        if (status !== 400) [status, answer] = await route(this.ctx, method, path, body);
      }
    } catch (e) {
      log.error({ err: e, method, path }, 'API handler failed');
      [status, answer] = [500, { error: (e as Error).message }];
    }
    sendJson(res, status, answer);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const entry = { ...who, method, path, status, ms: Math.round(ms * 10) / 10 };
    if (method === 'GET' && status < 400) log.debug(entry, 'api');
    else log.info(entry, 'api');
  }
}
