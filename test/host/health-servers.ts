// Fixture servers for the health host tests, run inside a test namespace
// (via vite-node): TCP, HTTP, HTTPS, a hanging HTTP, UDP echo and a DNS
// responder built on the project's codec. Commands arrive as JSON lines on
// stdin; every command is acknowledged with {"ack":n} on stdout.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { createInterface } from 'node:readline';
import type { TLSSocket } from 'node:tls';
import { decodeMessage, encodeMessage, FLAG_QR } from '../../src/health/dns-codec.js';
import { type Command, type HttpBehaviour, PORTS, type Service } from './health-support.js';

async function main(): Promise<void> {
  const addr = process.env.HC_ADDR!;
  const certDir = process.env.HC_CERTDIR!;
  let behaviour: HttpBehaviour = { status: 200, body: 'hello world' };
  let dnsMode = { rcode: 0, answers: true };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/sni') {
      const name = (req.socket as TLSSocket).servername || '-';
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`sni=${name} host=${req.headers.host}`);
      return;
    }
    res.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end(behaviour.body);
  };

  const makers: Record<Service, () => { listen: () => Promise<void>; close: () => Promise<void> }> = {
    tcp: () =>
      streamServer(
        net.createServer((s) => s.on('error', () => {}).end()),
        PORTS.tcp,
      ),
    http: () => streamServer(http.createServer(handler), PORTS.http),
    // Accepts and reads, never answers.
    hang: () =>
      streamServer(
        net.createServer((s) => s.on('error', () => {})),
        PORTS.hang,
      ),
    https: () =>
      streamServer(
        https.createServer(
          { key: readFileSync(`${certDir}/key.pem`), cert: readFileSync(`${certDir}/cert.pem`) },
          handler,
        ),
        PORTS.https,
      ),
    udp: () =>
      dgramServer(PORTS.udp, (sock, msg, rinfo) => {
        // Echoes "PING..." as "PONG...".
        const reply = msg.toString().startsWith('PING') ? Buffer.from(`PONG${msg.subarray(4)}`) : msg;
        sock.send(reply, rinfo.port, rinfo.address);
      }),
    dns: () =>
      dgramServer(PORTS.dns, (sock, msg, rinfo) => {
        const q = decodeMessage(msg);
        const question = q.questions[0]!;
        const answers =
          dnsMode.answers && dnsMode.rcode === 0
            ? [
                {
                  name: question.name,
                  type: question.type,
                  class: 1,
                  ttl: 60,
                  data: new Uint8Array([10, 0, 0, 1]),
                },
              ]
            : [];
        const reply = encodeMessage({
          ...q,
          flags: FLAG_QR | (q.flags & 0x0100) | 0x0080 | dnsMode.rcode,
          answers,
        });
        sock.send(reply, rinfo.port, rinfo.address);
      }),
  };

  function streamServer(srv: net.Server, port: number) {
    const sockets = new Set<net.Socket>();
    srv.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    return {
      listen: () => new Promise<void>((r) => srv.listen(port, addr, () => r())),
      close: () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          srv.close(() => r());
        }),
    };
  }

  function dgramServer(port: number, onMsg: (s: dgram.Socket, m: Buffer, r: dgram.RemoteInfo) => void) {
    const sock = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
    sock.on('message', (m, r) => {
      try {
        onMsg(sock, m, r);
      } catch {
        // malformed input: no reply
      }
    });
    return {
      listen: () => new Promise<void>((r) => sock.bind(port, addr, () => r())),
      close: () => new Promise<void>((r) => sock.close(() => r())),
    };
  }

  const live = new Map<Service, ReturnType<(typeof makers)['tcp']>>();
  const start = async (s: Service) => {
    if (live.has(s)) return;
    const srv = makers[s]();
    await srv.listen();
    live.set(s, srv);
  };
  for (const s of Object.keys(makers) as Service[]) await start(s);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const cmd = JSON.parse(line) as Command;
    if ('stop' in cmd) {
      await live.get(cmd.stop)?.close();
      live.delete(cmd.stop);
    } else if ('start' in cmd) {
      await start(cmd.start);
    } else if ('http' in cmd) {
      behaviour = cmd.http;
    } else if ('dns' in cmd) {
      dnsMode = cmd.dns;
    }
    process.stdout.write(`${JSON.stringify({ ack: cmd.n })}\n`);
  }
  process.exit(0);
}

void main();
