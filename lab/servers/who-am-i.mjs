#!/usr/bin/env node
// A real server that says who it is: HTTP on each --listen HOST:PORT answers
// every request with its name (body "NAME\n", header X-Served-By).
//   node who-am-i.mjs --name rs1 --listen 10.0.0.11:8080 [--listen ...]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { name: { type: 'string' }, listen: { type: 'string', multiple: true } },
});
const name = values.name ?? 'who-am-i';
for (const l of values.listen ?? ['0.0.0.0:8080']) {
  const i = l.lastIndexOf(':');
  const host = l.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(l.slice(i + 1));
  const srv = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': name, connection: 'close' });
    res.end(`${name}\n`);
    req.resume();
  });
  srv.keepAliveTimeout = 1000;
  srv.listen({ host, port }, () =>
    process.stderr.write(`who-am-i(${name}) listen ${host}:${port} started\n`),
  );
}
process.on('SIGTERM', () => process.exit(0));
