// The status page's transport: the HTML shell, its script, the CSV export,
// the server-sent event stream, and the browser's token login (a cookie,
// since a browser cannot put a bearer token on a page load or EventSource).
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { buildStatusView, type StatusSources, statusCsv } from './status-view.js';

export const TOKEN_COOKIE = 'floatlb_token';
/** Sent by the page with every admin call: a cross-site form cannot set it. */
export const ADMIN_HEADER = 'x-floatlb-admin';

/** Loopback only: a read-only listener there needs no token. */
export function isLocalHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export function presentedToken(req: IncomingMessage): { token: string; via: 'bearer' | 'cookie' } | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (m) return { token: m[1]!.trim(), via: 'bearer' };
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return { token: decodeURIComponent(v.join('=')), via: 'cookie' };
  }
  return null;
}

export function tokenEquals(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** How a token caller is named in logs: never the token itself. */
export function tokenIdentity(token: string): string {
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
}

function pageScript(): string | null {
  // Beside the .deb's main.js; two levels under dist/ for dist/src/api/*.js and the
  // bundled dist/src/cli/main.js; under dist/ for the sources run by the tests.
  for (const rel of ['./status-page/app.js', '../../status-page/app.js', '../../dist/status-page/app.js']) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(u)) return readFileSync(u, 'utf8');
  }
  return null;
}

const CSS = `
:root{color-scheme:light dark;--up:#1a7f37;--down:#cf222e;--warn:#9a6700;--mute:#6e7781;font:14px/1.4 system-ui,sans-serif}
body{margin:0;padding:.5rem 1rem}header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline}
h1{font-size:1.2rem;margin:.2rem 0}h2{font-size:1rem;margin:1rem 0 .3rem}
.wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;min-width:40rem}
th,td{border-bottom:1px solid #8884;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{font-weight:600;font-size:.85em}td.n{text-align:right;font-variant-numeric:tabular-nums}
.st{font-weight:700;padding:0 .3rem;border-radius:3px}
.UP,.MASTER{color:#fff;background:var(--up)}.DOWN,.FAULT{color:#fff;background:var(--down)}
.DRAIN,.MAINT,.STANDBY,.BACKUP{color:#fff;background:var(--warn)}.INIT,.STOP{background:var(--mute);color:#fff}
tr.down td{background:#cf222e18}svg{vertical-align:middle}.muted{color:var(--mute)}
button,input{font:inherit}button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #0969da;outline-offset:1px}
#events{max-height:18rem;overflow-y:auto;font-family:ui-monospace,monospace;font-size:.85em}
.admin{display:none}body.admin-on .admin{display:inline-flex;gap:.2rem}
@media (max-width:40rem){body{padding:.3rem}table{min-width:0}th.opt,td.opt{display:none}}
`;

function shell(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>floatlb status</title>
<style>${CSS}</style></head><body>
<header><h1>floatlb status</h1><span id="summary" aria-live="polite">loading…</span>
<a href="/v1/status.csv" download="floatlb-status.csv">CSV export</a>
<button id="admin-toggle" type="button" aria-pressed="false" hidden>Admin mode: off</button>
<span id="conn" class="muted"></span></header>
<main><h2>VRRP</h2><div class="wrap" id="vrrp"></div>
<div id="services"></div>
<h2>Last events</h2><ol id="events" reversed></ol></main>
<script src="/status-page.js"></script></body></html>`;
}

const LOGIN = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>floatlb status: token</title></head>
<body><h1>floatlb status</h1><p>This listener needs the API token.</p>
<form method="post" action="/login"><label>Token <input name="token" type="password" autofocus></label>
<button>Sign in</button></form></body></html>`;

export function sendLogin(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'www-authenticate': 'Bearer' });
  res.end(LOGIN);
}

/** POST /login with a form body: sets the token cookie when it matches. */
export async function handleLogin(
  req: IncomingMessage,
  res: ServerResponse,
  token: string,
  secure: boolean,
): Promise<number> {
  let body = '';
  for await (const c of req) {
    body += (c as Buffer).toString('utf8');
    if (body.length > 4096) break;
  }
  const given = new URLSearchParams(body).get('token') ?? '';
  if (!tokenEquals(given, token)) {
    sendLogin(res, 401);
    return 401;
  }
  res.writeHead(303, {
    location: '/',
    'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/${
      secure ? '; Secure' : ''
    }`,
  });
  res.end();
  return 303;
}

/** Answers the page's own GET paths; false when the path is not one of them. */
export async function serveStatus(
  path: string,
  res: ServerResponse,
  src: StatusSources,
  canAdmin: boolean,
): Promise<boolean> {
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
    });
    res.end(shell());
    return true;
  }
  if (path === '/status-page.js') {
    const js = pageScript();
    if (js === null) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('the status page script was not built (npm run build)\n');
    } else {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(js);
    }
    return true;
  }
  if (path === '/v1/status/view') {
    const text = JSON.stringify({ ...(await buildStatusView(src)), canAdmin });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
    return true;
  }
  if (path === '/v1/status.csv') {
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
    res.end(statusCsv(await buildStatusView(src)));
    return true;
  }
  if (path === '/v1/events/stream') {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    let busy = false;
    const push = async () => {
      if (busy || res.destroyed) return;
      busy = true;
      try {
        const v = JSON.stringify({ ...(await buildStatusView(src)), canAdmin });
        res.write(`event: status\ndata: ${v}\n\n`);
      } finally {
        busy = false;
      }
    };
    res.on('error', () => undefined);
    await push();
    const timer = setInterval(() => void push().catch(() => res.destroy()), 1000);
    res.on('close', () => clearInterval(timer));
    // A viewer that goes away mid-write is normal, not an error of the director.
    res.on('error', () => clearInterval(timer));
    return true;
  }
  return false;
}
