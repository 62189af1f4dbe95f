import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { noFiles } from '../../support/no-files.js';

const parse = (text: string) => parseConfigText(text, { file: 'k.conf', configId: 'x', ...noFiles });

describe('SSL block', () => {
  it('reads the files and the password, with where each file was named', () => {
    const r = parse(
      'SSL {\n  password s3cret\n  ca /etc/ca.pem\n  certificate /etc/c.pem\n  key /etc/k.pem\n}\n',
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.ssl).toEqual({
      password: 's3cret',
      ca: { path: '/etc/ca.pem', at: { file: 'k.conf', line: 3, column: 6 } },
      certificate: { path: '/etc/c.pem', at: { file: 'k.conf', line: 4, column: 15 } },
      key: { path: '/etc/k.pem', at: { file: 'k.conf', line: 5, column: 7 } },
    });
  });

  it('a second block replaces the first, and a bare keyword is ignored, each with keepalived’s warning', () => {
    const r = parse('SSL {\n  key /a\n}\nSSL {\n  certificate\n  key /b\n}\n');
    expect(r.ok).toBe(true);
    expect(r.config!.ssl).toMatchObject({ certificate: null, key: { path: '/b' } });
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '4:1 SSL context already specified: this block replaces it, as in keepalived',
      '5:3 SSL certificate has no value: ignored, as keepalived does',
    ]);
  });

  it('no SSL block: none', () => {
    expect(parse('global_defs {\n}\n').config!.ssl).toBeNull();
  });
});
