// A real server for tests: HTTP on :80 answering with its name, and a TCP
// echo on :9000 for long-lived connections. Usage: node backend.mjs NAME
import http from 'node:http';
import net from 'node:net';

const name = process.argv[2] ?? 'backend';
const web = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`${name}\n`);
});
web.listen(80, '0.0.0.0');
const echo = net.createServer((s) => {
  s.on('error', () => {});
  s.on('data', (d) => s.write(`${name}:${d}`));
});
echo.listen(9000, '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
