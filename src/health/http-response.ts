// Pure HTTP/1.x request building, response parsing and url matching for
// HTTP_GET/SSL_GET. Kept apart from the sockets so it can be unit-tested.
import { createHash } from 'node:crypto';
import type { StatusRange, UrlSpec } from './types.js';

export const DEFAULT_STATUS: readonly StatusRange[] = [{ from: 200, to: 299 }];
/** The most body a check reads; larger bodies fail rather than eat memory. */
export const MAX_BODY = 4 << 20;

export interface ParsedResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

export function buildRequest(path: string, host: string, protocol: '1.0' | '1.1'): Buffer {
  const lines = [
    `GET ${path || '/'} HTTP/${protocol}`,
    `Host: ${host}`,
    'User-Agent: floatlb-checker',
    'Connection: close',
    '',
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** Host header value: brackets for IPv6, port only when not the default. */
export function hostHeader(host: string, port: number, tls: boolean): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === (tls ? 443 : 80) ? h : `${h}:${port}`;
}

export type ParseState =
  | { done: false; needMore: true }
  | { done: true; response: ParsedResponse }
  | { done: true; error: string };

/**
 * Parses what has arrived so far. `eof` says the peer closed: a body without
 * a length then ends there.
 */
export function parseResponse(buf: Buffer, eof: boolean): ParseState {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (buf.length > 64 * 1024) return { done: true, error: 'response header too large' };
    return eof ? { done: true, error: 'connection closed before the response header' } : more();
  }
  const head = buf.toString('latin1', 0, headEnd).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(head[0] ?? '');
  if (!m) return { done: true, error: `bad status line ${JSON.stringify((head[0] ?? '').slice(0, 80))}` };
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  const status = Number(m[1]);
  const rest = buf.subarray(headEnd + 4);
  const te = headers.get('transfer-encoding')?.toLowerCase();
  if (te?.includes('chunked')) {
    const body = dechunk(rest);
    if (body === 'bad') return { done: true, error: 'bad chunked encoding' };
    if (body === null) return eof ? { done: true, error: 'connection closed inside a chunked body' } : more();
    return { done: true, response: { status, headers, body } };
  }
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    if (!Number.isInteger(n) || n < 0) return { done: true, error: `bad content-length ${cl}` };
    if (n > MAX_BODY) return { done: true, error: `body larger than ${MAX_BODY} bytes` };
    if (rest.length >= n) return { done: true, response: { status, headers, body: rest.subarray(0, n) } };
    return eof ? { done: true, error: 'connection closed before the whole body' } : more();
  }
  if (rest.length > MAX_BODY) return { done: true, error: `body larger than ${MAX_BODY} bytes` };
  return eof ? { done: true, response: { status, headers, body: rest } } : more();
}

function more(): ParseState {
  return { done: false, needMore: true };
}

/** Decodes a chunked body: the body, null when incomplete, 'bad' when malformed. */
export function dechunk(buf: Buffer): Buffer | null | 'bad' {
  const parts: Buffer[] = [];
  let pos = 0;
  let total = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return null;
    const sizeText = buf.toString('latin1', pos, eol).split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return 'bad';
    const size = Number.parseInt(sizeText, 16);
    total += size;
    if (total > MAX_BODY) return 'bad';
    if (size === 0) return Buffer.concat(parts);
    if (eol + 2 + size + 2 > buf.length) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

export function statusAccepted(status: number, ranges: readonly StatusRange[] | undefined): boolean {
  const list = ranges && ranges.length > 0 ? ranges : DEFAULT_STATUS;
  return list.some((r) => status >= r.from && status <= r.to);
}

/** Parses keepalived's status_code words: "200", "200-299", ... */
export function parseStatusCodes(words: string[]): StatusRange[] {
  return words.map((w) => {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w.trim());
    if (!m) throw new Error(`bad status_code ${JSON.stringify(w)}`);
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    if (to < from) throw new Error(`bad status_code range ${w}`);
    return { from, to };
  });
}

export function md5Hex(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

const regexCache = new Map<string, RegExp>();

/** Checks one url's response; returns null when it passes, else the reason. */
export function judge(url: UrlSpec, res: ParsedResponse): string | null {
  if (!statusAccepted(res.status, url.statusCode)) return `${url.path}: status ${res.status}`;
  if (url.digest) {
    const got = md5Hex(res.body);
    if (got !== url.digest.toLowerCase()) return `${url.path}: digest ${got} != ${url.digest.toLowerCase()}`;
  }
  if (url.regex !== undefined) {
    let re = regexCache.get(url.regex);
    if (!re) {
      re = new RegExp(url.regex);
      regexCache.set(url.regex, re);
    }
    const hit = re.test(res.body.toString('latin1'));
    if (hit && url.regexNoMatch) return `${url.path}: body matches ${url.regex}`;
    if (!hit && !url.regexNoMatch) return `${url.path}: body does not match ${url.regex}`;
  }
  return null;
}
