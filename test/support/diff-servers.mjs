// Real servers for the keepalived differential test, all in one process (a
// node start costs seconds under the lab VM's emulation). For every address
// given it serves TCP (9000), HTTP (80), HTTPS (443), SMTP (25), UDP echo (7)
// and DNS (53). Commands arrive as JSON lines on stdin and are acknowledged
// with {"ack":n}:
//   {"n":1,"op":"stop"|"start","addr":A,"kind":K}   close or reopen one listener
//   {"n":2,"op":"http","addr":A,"status":500}        HTTP(S) status for A
//   {"n":3,"op":"dns","addr":A,"rcode":2}            DNS rcode for A
// Usage: node diff-servers.mjs CERTDIR ADDR...
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { createInterface } from 'node:readline';

const [certDir, ...addrs] = process.argv.slice(2);
const tls = { key: readFileSync(`${certDir}/key.pem`), cert: readFileSync(`${certDir}/cert.pem`) };
const status = new Map();
const rcode = new Map();

const web = (req, res) => {
  const code = status.get(req.socket.localAddress) ?? 200;
  res.writeHead(code, { 'content-type': 'text/plain', connection: 'close' }).end(`${code}\n`);
};

const smtp = (s) => {
  s.on('error', () => {});
  s.setEncoding('latin1');
  s.write('220 mail.test ESMTP ready\r\n');
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const verb = buf.slice(0, nl).split(' ')[0].replace(/\r$/, '').toUpperCase();
      buf = buf.slice(nl + 1);
      if (verb === 'HELO' || verb === 'EHLO') s.write('250 mail.test\r\n');
      else if (verb === 'QUIT') s.end('221 bye\r\n');
      else s.write('502 not implemented\r\n');
    }
  });
};

// A DNS answer: the question echoed, with one A (or empty) record, or the
// rcode set for this address and no answer.
function dnsReply(q, addr) {
  let off = 12;
  while (off < q.length && q[off] !== 0) off += q[off] + 1;
  const qEnd = off + 5;
  const code = rcode.get(addr) ?? 0;
  const head = Buffer.from(q.subarray(0, 12));
  head.writeUInt16BE(0x8180 | (q.readUInt16BE(2) & 0x0100) | code, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(code === 0 ? 1 : 0, 6);
  head.writeUInt32BE(0, 8);
  const question = q.subarray(12, qEnd);
  if (code !== 0) return Buffer.concat([head, question]);
  const qtype = q.readUInt16BE(qEnd - 4);
  const rdata = qtype === 28 ? Buffer.alloc(16, 1) : Buffer.from([10, 0, 0, 1]);
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(qtype === 28 ? 28 : 1, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, question, rr, rdata]);
}

function stream(make, port, addr) {
  const srv = make();
  const socks = new Set();
  srv.on('connection', (s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
  });
  return {
    open: () => new Promise((r) => srv.listen(port, addr, () => r())),
    close: () =>
      new Promise((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

function datagram(port, addr, reply) {
  let sock = null;
  return {
    open: () =>
      new Promise((r) => {
        sock = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
        sock.on('message', (m, from) => {
          try {
            sock.send(reply(m), from.port, from.address);
          } catch {
            // malformed: no reply
          }
        });
        sock.bind(port, addr, () => r());
      }),
    close: () => new Promise((r) => sock.close(() => r())),
  };
}

const kinds = {
  tcp: (a) => stream(() => net.createServer((s) => s.on('error', () => {}).end()), 9000, a),
  http: (a) => stream(() => http.createServer(web), 80, a),
  https: (a) => stream(() => https.createServer(tls, web), 443, a),
  smtp: (a) => stream(() => net.createServer(smtp), 25, a),
  udp: (a) => datagram(7, a, (m) => m),
  dns: (a) => datagram(53, a, (m) => dnsReply(m, a)),
};

const live = new Map();
async function start(addr, kind) {
  const key = `${addr} ${kind}`;
  if (live.has(key)) return;
  const l = kinds[kind](addr);
  await l.open();
  live.set(key, l);
}
async function stop(addr, kind) {
  const key = `${addr} ${kind}`;
  await live.get(key)?.close();
  live.delete(key);
}

for (const a of addrs) for (const k of Object.keys(kinds)) await start(a, k);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  if (c.op === 'stop') await stop(c.addr, c.kind);
  else if (c.op === 'start') await start(c.addr, c.kind);
  else if (c.op === 'http') status.set(c.addr, c.status);
  else if (c.op === 'dns') rcode.set(c.addr, c.rcode);
  process.stdout.write(`${JSON.stringify({ ack: c.n })}\n`);
}
process.exit(0);
