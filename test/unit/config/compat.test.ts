// The keyword table: docs/compat.md is generated from it, every keyword the
// parser dispatches has a row, every row that says "acts" has a handler, and
// every "parsed, not supported" keyword draws its warning at file:line:column.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  CHECKER_BLOCKS,
  KEYWORD_ROWS,
  keywordRow,
  renderCompatMarkdown,
} from '../../../src/config/compat.js';
import { parseConfigText } from '../../../src/config/index.js';
import { noFiles } from '../../support/no-files.js';

const DOC = new URL('../../../docs/compat.md', import.meta.url).pathname;

/** Touches every block kind the parser has a keyword table for. */
const KITCHEN_SINK = `
global_defs {
  router_id a
}
SSL {
  password p
  ca /c
  certificate /c
  key /k
}
vrrp_script s {
  script /bin/true
}
vrrp_track_process p {
  process x
}
track_file f {
  file /tmp/f
}
vrrp_track_file g {
  file /tmp/g
}
vrrp_instance V {
  interface eth0
  virtual_router_id 1
  authentication {
    auth_type PASS
    auth_pass x
  }
}
vrrp_sync_group G {
  group {
    V
  }
}
garp_group {
  garp_interval 0.1
  interface eth0
}
virtual_server_group VSG {
  10.0.0.1 80
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.0.0.2 80 {
    TCP_CHECK {
    }
    HTTP_GET {
      url {
        path /
      }
    }
    SSL_GET {
      url {
        path /
      }
    }
    SMTP_CHECK {
      host {
        connect_ip 10.0.0.3
      }
    }
    DNS_CHECK {
    }
    MISC_CHECK {
      misc_path /bin/true
    }
    UDP_CHECK {
    }
    PING_CHECK {
    }
    FILE_CHECK {
      track_file f
    }
    BFD_CHECK {
      name b
    }
  }
}
`;

function parserTables(): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  parseConfigText(KITCHEN_SINK, {
    file: 'k.conf',
    configId: 'x',
    ...noFiles,
    observeTables: (label, keywords) => {
      const set = seen.get(label) ?? new Set<string>();
      for (const k of keywords) set.add(k);
      seen.set(label, set);
    },
  });
  return seen;
}

describe('keyword table', () => {
  test('docs/compat.md is the table rendered (npm run gen:compat)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(renderCompatMarkdown());
  });

  test('one row per keyword and block', () => {
    const keys = KEYWORD_ROWS.map((r) => `${r[0]} ${r[1]}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    for (const r of KEYWORD_ROWS) if (r[2] !== 'acts') expect(r[3], `${r[0]} ${r[1]}`).not.toBe('');
  });

  test('every keyword the parser dispatches has a row', () => {
    const tables = parserTables();
    expect([...tables.keys()].sort()).toEqual(
      expect.arrayContaining(['global_defs', 'vrrp_instance', 'virtual_server', 'real_server', 'url']),
    );
    const missing: string[] = [];
    for (const [label, keywords] of tables)
      for (const k of keywords) if (!keywordRow(label, k)) missing.push(`${label} ${k}`);
    expect(missing).toEqual([]);
  });

  test('every row that says the keyword acts has a handler in the parser', () => {
    const tables = parserTables();
    const handled = (context: string, k: string): boolean => {
      const labels =
        context === 'top' ? ['the top level'] : context === 'checker' ? [...CHECKER_BLOCKS] : [context];
      return labels.some((l) => tables.get(l)?.has(k));
    };
    const noHandler = KEYWORD_ROWS.filter(
      (r) => (r[2] === 'acts' || r[2] === 'differs') && !handled(r[0], r[1]),
    ).map((r) => `${r[0]} ${r[1]}`);
    expect(noHandler).toEqual([]);
  });
});

/** The lines of a config that uses keyword k in its block, and the index of k's line. */
function snippet(context: string, k: string): { lines: string[]; at: number; block?: string } {
  const use = `${k} 1`;
  const wrap = (open: string[], close: string[], indent: string) => ({
    lines: [...open, `${indent}${use}`, ...close],
    at: open.length,
  });
  const rs = ['virtual_server 10.0.0.1 80 {', '  protocol TCP', '  real_server 10.0.0.2 80 {'];
  switch (context) {
    case 'top':
      return { lines: [use], at: 0 };
    case 'global_defs':
      return wrap(['global_defs {'], ['}'], '  ');
    case 'vrrp_instance':
      return wrap(['vrrp_instance V {', '  interface eth0', '  virtual_router_id 1'], ['}'], '  ');
    case 'vrrp_sync_group':
      return wrap(['vrrp_sync_group G {', '  group {', '    V', '  }'], ['}'], '  ');
    case 'virtual_server':
      return wrap(['virtual_server 10.0.0.1 80 {', '  protocol TCP'], ['}'], '  ');
    case 'real_server':
      return wrap(rs, ['  }', '}'], '    ');
    case 'checker':
      return wrap([...rs, '    TCP_CHECK {'], ['    }', '  }', '}'], '      ');
    case 'url':
      return wrap(
        [...rs, '    HTTP_GET {', '      url {', '        path /'],
        ['      }', '    }', '  }', '}'],
        '        ',
      );
    case 'SMTP_CHECK host':
      return wrap([...rs, '    SMTP_CHECK {', '      host {'], ['      }', '    }', '  }', '}'], '        ');
    default:
      if (CHECKER_BLOCKS.has(context))
        return wrap([...rs, `    ${context} {`], ['    }', '  }', '}'], '      ');
      // The inside of a block floatlb does not support at all: its one warning covers it.
      return { ...wrap([`${context} x {`], ['}'], '  '), block: context };
  }
}

describe('every "parsed, not supported" keyword is warned at its position', () => {
  const rows = KEYWORD_ROWS.filter((r) => r[2] === 'unsupported');
  test.each(rows.map((r) => [`${r[0]} ${r[1]}`, r] as const))('%s', (_name, row) => {
    const { lines, at, block } = snippet(row[0], row[1]);
    const r = parseConfigText(lines.join('\n'), { file: 'u.conf', configId: 'x', ...noFiles });
    expect(r.ok).toBe(true);
    const want = block
      ? { unsupported: block, line: 1, column: 1 }
      : { unsupported: row[1], line: at + 1, column: lines[at]!.search(/\S/) + 1 };
    expect(r.diagnostics).toContainEqual(
      expect.objectContaining({ severity: 'warning', file: 'u.conf', ...want }),
    );
    const d = r.diagnostics.find((x) => x.unsupported === want.unsupported)!;
    expect(d.message).toContain('is parsed but not acted on by floatlb');
  });

  test('refused keywords: auth_type AH and BFD_CHECK are errors at their position', () => {
    const text =
      'vrrp_instance V {\n interface eth0\n virtual_router_id 1\n authentication {\n  auth_type AH\n }\n}\n';
    const r = parseConfigText(text, { file: 'a.conf', configId: 'x', ...noFiles });
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ line: 5, severity: 'error' }));
    const refused = KEYWORD_ROWS.filter((x) => x[2] === 'refused').map((x) => `${x[0]} ${x[1]}`);
    expect(refused).toContain('real_server BFD_CHECK');
    const bfd =
      'virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n  BFD_CHECK {\n   name b\n  }\n }\n}\n';
    const b = parseConfigText(bfd, { file: 'b.conf', configId: 'x', ...noFiles });
    expect(b.ok).toBe(false);
    expect(b.diagnostics).toContainEqual(expect.objectContaining({ line: 4, severity: 'error' }));
  });
});
