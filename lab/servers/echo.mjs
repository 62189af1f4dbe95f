#!/usr/bin/env node
// A TCP echo server like seed 004's: every line comes back as
// "echo(from NAME):LINE".
//   node echo.mjs --name vnode-01 --listen 172.20.47.78:9978 [--listen ...]
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { name: { type: 'string' }, listen: { type: 'string', multiple: true } },
});
const name = values.name ?? 'echo';
for (const l of values.listen ?? ['0.0.0.0:9900']) {
  const i = l.lastIndexOf(':');
  const host = l.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(l.slice(i + 1));
  const srv = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      buf += d;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        sock.write(`echo(from ${name}):${buf.slice(0, nl).replace(/\r$/, '')}\n`);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    });
    sock.on('error', () => sock.destroy());
  });
  srv.listen({ host, port }, () => process.stderr.write(`server(${name}) listen ${host}:${port} started\n`));
}
process.on('SIGTERM', () => process.exit(0));
