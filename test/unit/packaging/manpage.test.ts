// floatlb(8) is generated from the CLI's --help (packaging/manpage.mjs):
// every command and sub-command gets its section, and help text cannot
// inject roff requests.
import { describe, expect, it } from 'vitest';
import { collectHelp, renderManPage, roffLine, subcommands } from '../../../packaging/manpage.mjs';

const TOP = `floatlb <command>

Commands:
  floatlb config <command>   Configuration tools
  floatlb run                Run the director
  floatlb rs <action> <a>    link|unlink

Options:
  --help  Show help
`;
const CONFIG = `floatlb config <command>

Commands:
  floatlb config check  Check a keepalived.conf-style file
`;

describe('floatlb(8) from --help', () => {
  it('lists the commands a help text names under its own path only', () => {
    expect(subcommands(TOP, [])).toEqual(['config', 'run', 'rs']);
    expect(subcommands(CONFIG, ['config'])).toEqual(['check']);
    expect(subcommands(TOP, ['config'])).toEqual([]);
  });

  it('walks every command depth first', () => {
    const seen: string[] = [];
    const pages = collectHelp((path: string[]) => {
      seen.push(path.join(' '));
      return path.length === 0 ? TOP : path[0] === 'config' && path.length === 1 ? CONFIG : 'leaf\n';
    });
    expect(pages.map((p) => p.path.join(' '))).toEqual(['', 'config', 'config check', 'run', 'rs']);
    expect(seen).toHaveLength(5);
  });

  it('escapes backslashes and leading dots and quotes', () => {
    expect(roffLine('.SH EVIL')).toBe('\\&.SH EVIL');
    expect(roffLine("'br")).toBe("\\&'br");
    expect(roffLine('a\\b')).toBe('a\\eb');
    expect(roffLine('  --plane')).toBe('  --plane');
  });

  it('renders a section per command with the help verbatim', () => {
    const page = renderManPage({
      version: '1.2.3',
      date: '2026-01-01',
      pages: [
        { path: [], text: TOP },
        { path: ['run'], text: '.dangerous\n  -f, --file  config file\n' },
      ],
    });
    expect(page.startsWith('.TH FLOATLB 8 "2026-01-01" "floatlb 1.2.3"')).toBe(true);
    expect(page).toContain('.SH COMMANDS\n.nf\nfloatlb <command>\n');
    expect(page).toContain('.SS floatlb run\n.nf\n\\&.dangerous\n  -f, --file  config file\n.fi\n');
    expect(page).toContain('.SH SEE ALSO');
  });
});
