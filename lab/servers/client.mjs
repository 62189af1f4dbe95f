#!/usr/bin/env node
// The lab client. Each attempt is a NEW connection to --target that asks who
// answered: an HTTP GET (--proto http) or one echo line (--proto echo).
//   --count N --concurrency C   N attempts, then one JSON summary line
//   --interval MS               one attempt every MS until SIGTERM/stdin
//                               closes; one line per attempt:
//                               {"t":START_MS,"ok":true,"who":"rs1","ms":3}
//                               or {"t":...,"ok":false,"err":"ETIMEDOUT","lagMs":12}
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    proto: { type: 'string', default: 'http' },
    count: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    interval: { type: 'string' },
    timeout: { type: 'string', default: '1000' },
  },
});
const t = values.target ?? '';
const i = t.lastIndexOf(':');
const host = t.slice(0, i).replace(/^\[|\]$/g, '');
const port = Number(t.slice(i + 1));
const timeoutMs = Number(values.timeout);

function attempt() {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let buf = '';
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ t: t0, ms: Date.now() - t0, ...r });
    };
    const sock = connect({ host, port });
    // Timers run before I/O in each turn of the event loop: after the client
    // itself was starved for longer than the timeout (the emulated lab VM
    // under load), an answer already waiting in the socket would be judged
    // a timeout. Look at pending I/O once more before deciding.
    // The error says which half went unanswered (the SYN, or the request on
    // an open connection) and lagMs how late this client's own timer fired.
    const timer = setTimeout(() => {
      const lagMs = Date.now() - t0 - timeoutMs;
      setImmediate(() =>
        finish({ ok: false, err: sock.connecting ? 'ETIMEDOUT' : 'ETIMEDOUT-reply', lagMs }),
      );
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      if (values.proto === 'echo') sock.write('hello, floatlb\n');
      else sock.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    sock.on('data', (d) => {
      buf += d;
      if (values.proto === 'echo') {
        const m = /^echo\(from ([^)]+)\):/.exec(buf);
        if (m && buf.includes('\n')) finish({ ok: true, who: m[1] });
      } else {
        const m = /x-served-by: *(\S+)/i.exec(buf);
        if (m) finish({ ok: true, who: m[1] });
      }
    });
    sock.on('error', (e) => finish({ ok: false, err: e.code ?? e.message }));
    sock.on('close', () => finish({ ok: false, err: 'ECLOSED' }));
  });
}

if (values.count) {
  const n = Number(values.count);
  const byServer = {};
  const errors = {};
  let ok = 0;
  let failed = 0;
  let next = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (next < n) {
      next++;
      const r = await attempt();
      if (r.ok) {
        ok++;
        byServer[r.who] = (byServer[r.who] ?? 0) + 1;
      } else {
        failed++;
        errors[r.err] = (errors[r.err] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  process.stdout.write(`${JSON.stringify({ ok, failed, byServer, errors, ms: Date.now() - t0 })}\n`);
} else {
  const every = Number(values.interval ?? '20');
  let stopping = false;
  const inflight = new Set();
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(iv);
    await Promise.all(inflight);
    process.exit(0);
  };
  const iv = setInterval(() => {
    const p = attempt().then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      inflight.delete(p);
    });
    inflight.add(p);
  }, every);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}
