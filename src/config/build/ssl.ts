// The SSL block: the files of the TLS client context all SSL_GET checks
// share. keepalived reads them when its checker starts; floatlb loads them
// when the config is applied (src/health/tls-context.ts).
import type { FileRef, SslSettings } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

export function readSsl(r: Reader, node: ConfigNode, previous: SslSettings | null): SslSettings | null {
  if (!r.needsBlock(node)) return previous;
  if (previous)
    r.sink.warning(node.name, 'SSL context already specified: this block replaces it, as in keepalived');
  const s: SslSettings = { password: null, ca: null, certificate: null, key: null };
  const value = (n: ConfigNode): FileRef | null => {
    const v = n.args[0];
    if (!v) return r.dropped(n.name, `SSL ${n.name.text} has no value: ignored, as keepalived does`);
    for (const extra of n.args.slice(1)) r.invalid(extra, `extra word after SSL ${n.name.text}`, 'one value');
    return { path: v.text, at: { file: v.file, line: v.line, column: v.column } };
  };
  r.block(
    node,
    {
      password: (n) => {
        s.password = value(n)?.path ?? s.password;
      },
      ca: (n) => {
        s.ca = value(n) ?? s.ca;
      },
      certificate: (n) => {
        s.certificate = value(n) ?? s.certificate;
      },
      key: (n) => {
        s.key = value(n) ?? s.key;
      },
    },
    'SSL',
  );
  return s;
}
