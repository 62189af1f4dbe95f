// What floatlb does with each keepalived keyword: lookups into the keyword
// table for the parser, and the docs/compat.md it is rendered to.
import { KEYWORD_ROWS, type KeywordRow, type KeywordStatus } from './build/keywords.js';

export { KEYWORD_ROWS, type KeywordRow, type KeywordStatus };

/** Blocks that take the common checker keywords (the 'checker' rows). */
export const CHECKER_BLOCKS = new Set([
  'TCP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'SMTP_CHECK',
  'DNS_CHECK',
  'MISC_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
  'FILE_CHECK',
  'BFD_CHECK',
]);

/** context -> keyword -> row: two lookups per statement, no key string built. */
const byContext = new Map<string, Map<string, KeywordRow>>();
for (const row of KEYWORD_ROWS) {
  const rows = byContext.get(row[0]) ?? new Map<string, KeywordRow>();
  byContext.set(row[0], rows);
  rows.set(row[1], row);
}
const CHECKER_ROWS = byContext.get('checker');

/** The parser's label for a block, as the table names it. */
export function contextOf(label: string): string {
  return label === 'the top level' ? 'top' : label;
}

export function keywordRow(label: string, keyword: string): KeywordRow | undefined {
  const context = contextOf(label);
  return (
    byContext.get(context)?.get(keyword) ??
    (CHECKER_BLOCKS.has(context) ? CHECKER_ROWS?.get(keyword) : undefined)
  );
}

export function unsupportedMessage(row: KeywordRow): string {
  const where = row[0] === 'top' ? '' : ` in ${row[0]}`;
  return `${row[1]}${where} is parsed but not acted on by floatlb: ${row[3]}`;
}

const STATUS_TEXT: Record<KeywordStatus, string> = {
  acts: 'acts',
  differs: 'acts, differs',
  unsupported: 'parsed, not supported',
  refused: 'refused',
};

/** docs/compat.md: the table, block by block. */
export function renderCompatMarkdown(): string {
  const out = [
    '# keepalived.conf keywords in floatlb',
    '',
    '<!-- Generated from src/config/build/keywords.ts by `npm run gen:compat`; edit the table there. -->',
    '',
    'Every keyword of keepalived.conf(5) (keepalived 2.2.x) and what floatlb does with it:',
    '',
    '- **acts**: it works as in keepalived;',
    '- **acts, differs**: it works, with the difference the note gives;',
    '- **parsed, not supported**: the file loads, and floatlb warns with file:line:column',
    "  (in `floatlb config check`, which also lists them at the end, and in `floatlb run`'s log)",
    '  that the keyword does nothing;',
    '- **refused**: the file is refused, and the error says why.',
    '',
    '`checker` rows apply to every checker block (TCP_CHECK, HTTP_GET, ...) that has no row of its own.',
    '',
  ];
  const counts: Record<KeywordStatus, number> = { acts: 0, differs: 0, unsupported: 0, refused: 0 };
  for (const r of KEYWORD_ROWS) counts[r[2]]++;
  out.push(
    `${KEYWORD_ROWS.length} rows: ${counts.acts} acts, ${counts.differs} acts with a difference, ` +
      `${counts.unsupported} parsed but not supported, ${counts.refused} refused.`,
    '',
  );
  out.push(...READING, '');
  const contexts = [...new Set(KEYWORD_ROWS.map((r) => r[0]))];
  for (const context of contexts) {
    out.push(
      `## ${context === 'top' ? 'Top level' : context}`,
      '',
      '| keyword | status | note |',
      '| --- | --- | --- |',
    );
    for (const r of KEYWORD_ROWS.filter((x) => x[0] === context)) {
      out.push(`| \`${r[1]}\` | ${STATUS_TEXT[r[2]]} | ${r[3].replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** How the file is read, and where the verdict is not keepalived's on purpose: found by bench/config-verdicts.ts. */
const READING = [
  '## Reading the file as keepalived 2.2.7 does',
  '',
  '`npm run fuzz:verdicts` mutates real configs the way operators do and compares `keepalived -t` with',
  '`floatlb config check` on each (see docs/config.md). What it found, and floatlb now does:',
  '',
  '- **Long lines.** keepalived reads 1023 bytes at a time: a longer line is read as several lines, and a',
  '  comment or a quoted string does not reach into the next piece. floatlb reads it the same way, and',
  '  warns at the cut (keepalived says nothing).',
  '- **`$NAME` that would make a line longer than 1023 bytes** is left as written, with the rest of the',
  '  line, as keepalived leaves it; floatlb warns.',
  '- **An unterminated `"`.** The words before it stay; the quote and the rest of the line are dropped.',
  '  A keyword left without its value is then treated as written without one. A script line',
  '  (`notify*`, `quorum_up`/`quorum_down`, `notify_up`/`notify_down`) cut this way is dropped, with a warning.',
  '- **Include names are taken literally**: `include "a.conf"` looks for a file whose name has the quotes.',
  '- **A keyword without its value.** keepalived stops loading (exit 2) for most keywords and warns and',
  '  goes on for some (`router_id`, `notification_email_from`, `script_user`, track-file `file`/`weight`,',
  '  HTTP `virtualhost`, ...). floatlb follows it keyword by keyword (src/config/build/missing-value.ts).',
  '  A `virtual_ipaddress` option without its value is a warning; a route option without its value',
  '  (`dev`, `src`, `via`, `table`, `metric`, `scope`, `mtu`) is refused.',
  '- **Blocks nested deeper than 64 levels** (only blocks after a keyword that takes none nest that deep)',
  '  are warned and ignored.',
  '',
  "## Where the verdict is not keepalived's",
  '',
  '- **Refused keywords** (status `refused` below): floatlb cannot do them safely, so it refuses the file',
  '  where keepalived would run it.',
  '- **`vrrp_strict` (or `strict_mode`) on an instance without a `virtual_ipaddress`** is refused:',
  "  `keepalived -t` passes it, but keepalived's VRRP process exits on it when it starts.",
  '- **Inputs that crash keepalived 2.2.7** (it dies of SIGSEGV during `-t`, so it would not start):',
  '  a `vrrp_script` whose `script` has an unterminated quote, `vrrp_instance` or `bfd_instance` without',
  '  a name, `HTTP_GET`/`SSL_GET` without a block, some unbalanced multi-line `$NAME` definitions.',
  '  floatlb does not copy a crash: it warns or refuses by the rules above.',
  '- **A block after an unknown keyword** is read as keepalived reads it: keepalived opens no block for a',
  '  keyword it does not know there (nor for a `{` with no keyword before it), so it skips the `{`, reads',
  '  the lines after it as part of the enclosing block, and the `}` meant for them closes the enclosing',
  '  block. floatlb does the same, with a warning at the `{`; a typo in a block keyword can so leave a',
  '  virtual server without its real servers, as it does in keepalived. A `{` inside a block of values',
  '  (`virtual_ipaddress`, `track_script`, ...) nests nothing there either: the first `}` ends the block.',
  '- **Open: a block after a keyword that takes none** (`router_id A {`): keepalived skips that `{` too;',
  '  floatlb keeps the block whole and ignores it, with a warning.',
];
