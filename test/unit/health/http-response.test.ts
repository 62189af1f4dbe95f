import { describe, expect, it } from 'vitest';
import {
  buildRequest,
  dechunk,
  hostHeader,
  judge,
  md5Hex,
  type ParsedResponse,
  parseResponse,
  parseStatusCodes,
  statusAccepted,
} from '../../../src/health/http-response.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function parsed(raw: string, eof = false): ParsedResponse {
  const st = parseResponse(b(raw), eof);
  if (!st.done || 'error' in st) throw new Error(`not parsed: ${JSON.stringify(st)}`);
  return st.response;
}

describe('http request', () => {
  it('builds an HTTP/1.0 GET with Host and Connection: close', () => {
    expect(buildRequest('/health', 'www.example.test', '1.0').toString()).toBe(
      'GET /health HTTP/1.0\r\nHost: www.example.test\r\nUser-Agent: floatlb-checker\r\nConnection: close\r\n\r\n',
    );
    expect(buildRequest('', 'h', '1.1').toString().split('\r\n')[0]).toBe('GET / HTTP/1.1');
  });

  it('formats the Host header like a browser', () => {
    expect(hostHeader('10.0.0.1', 80, false)).toBe('10.0.0.1');
    expect(hostHeader('10.0.0.1', 8080, false)).toBe('10.0.0.1:8080');
    expect(hostHeader('fd00::1', 443, true)).toBe('[fd00::1]');
    expect(hostHeader('fd00::1', 8443, true)).toBe('[fd00::1]:8443');
  });
});

describe('http response parsing', () => {
  it('waits for the whole content-length body', () => {
    expect(parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'), false)).toEqual({
      done: false,
      needMore: true,
    });
    const r = parsed('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcdeXX');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('abcde');
  });

  it('reads to EOF when there is no length', () => {
    expect(parseResponse(b('HTTP/1.0 503 Service Unavailable\r\n\r\nbusy'), false).done).toBe(false);
    const r = parsed('HTTP/1.0 503 Service Unavailable\r\n\r\nbusy', true);
    expect([r.status, r.body.toString()]).toEqual([503, 'busy']);
  });

  it('decodes chunked bodies', () => {
    const r = parsed(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n',
    );
    expect(r.body.toString()).toBe('Wikipedia');
    expect(dechunk(b('4\r\nWi'))).toBeNull();
    expect(dechunk(b('zz\r\n'))).toBe('bad');
  });

  it('reports malformed or cut responses', () => {
    expect(parseResponse(b('SSH-2.0-OpenSSH\r\n\r\n'), false)).toEqual({
      done: true,
      error: 'bad status line "SSH-2.0-OpenSSH"',
    });
    expect(parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'), true)).toEqual({
      done: true,
      error: 'connection closed before the whole body',
    });
    expect(parseResponse(b('HTTP/1.1 200'), true)).toEqual({
      done: true,
      error: 'connection closed before the response header',
    });
  });
});

describe('url judging', () => {
  const ok = parsed('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world');

  it('accepts 200-299 by default and honours status_code lists', () => {
    expect(statusAccepted(204, undefined)).toBe(true);
    expect(statusAccepted(301, undefined)).toBe(false);
    const codes = parseStatusCodes(['200', '300-399', '503']);
    expect(codes).toEqual([
      { from: 200, to: 200 },
      { from: 300, to: 399 },
      { from: 503, to: 503 },
    ]);
    expect([200, 201, 302, 503, 504].map((s) => statusAccepted(s, codes))).toEqual([
      true,
      false,
      true,
      true,
      false,
    ]);
    expect(() => parseStatusCodes(['299-200'])).toThrow(/range/);
    expect(() => parseStatusCodes(['2xx'])).toThrow(/status_code/);
  });

  it('checks the MD5 digest of the body, case-insensitively', () => {
    expect(md5Hex(b('hello world'))).toBe('5eb63bbbe01eeed093cb22bb8f5acdc3');
    expect(judge({ path: '/', digest: '5EB63BBBE01EEED093CB22BB8F5ACDC3' }, ok)).toBeNull();
    expect(judge({ path: '/', digest: '00000000000000000000000000000000' }, ok)).toBe(
      '/: digest 5eb63bbbe01eeed093cb22bb8f5acdc3 != 00000000000000000000000000000000',
    );
  });

  it('checks regex and regex_no_match', () => {
    expect(judge({ path: '/', regex: 'wor.d' }, ok)).toBeNull();
    expect(judge({ path: '/', regex: '^bye' }, ok)).toBe('/: body does not match ^bye');
    expect(judge({ path: '/', regex: 'hello', regexNoMatch: true }, ok)).toBe('/: body matches hello');
    expect(judge({ path: '/', regex: 'error', regexNoMatch: true }, ok)).toBeNull();
  });

  it('checks status before digest', () => {
    const bad = parsed('HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n');
    expect(judge({ path: '/x', digest: 'd41d8cd98f00b204e9800998ecf8427e' }, bad)).toBe('/x: status 500');
  });
});
