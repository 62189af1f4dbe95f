// A small SMTP-speaking server for SMTP_CHECK tests. Usage:
//   node smtp-server.mjs ADDR PORT MODE    (MODE: ok | bad-greeting | bad-helo | multiline)
// It prints each HELO argument it receives on stdout, one per line.
import net from 'node:net';

const [addr, port, mode = 'ok'] = process.argv.slice(2);
const srv = net.createServer((s) => {
  s.on('error', () => {});
  s.setEncoding('latin1');
  s.write(
    mode === 'bad-greeting'
      ? '554 no service here\r\n'
      : mode === 'multiline'
        ? '220-mail.test first line\r\n220 mail.test ESMTP ready\r\n'
        : '220 mail.test ESMTP ready\r\n',
  );
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      const [verb, ...rest] = line.split(' ');
      if (/^(HELO|EHLO)$/i.test(verb)) {
        process.stdout.write(`${rest.join(' ')}\n`);
        s.write(mode === 'bad-helo' ? '501 go away\r\n' : '250 mail.test pleased to meet you\r\n');
      } else if (/^QUIT$/i.test(verb)) {
        s.end('221 bye\r\n');
      } else s.write('502 not implemented\r\n');
    }
  });
});
srv.listen(Number(port), addr);
process.on('SIGTERM', () => process.exit(0));
