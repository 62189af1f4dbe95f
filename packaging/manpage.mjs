// floatlb(8), generated from the CLI's own --help, so the page lists exactly
// the commands and options the installed program accepts.
import { spawnSync } from 'node:child_process';

/** A line of text made safe for roff: backslashes, and a leading . or '. */
export function roffLine(line) {
  const s = line.replace(/\\/g, '\\e');
  return /^[.']/.test(s) ? `\\&${s}` : s;
}

/** The sub-commands that `help` (the output of `floatlb PATH --help`) lists under PATH. */
export function subcommands(help, path) {
  const prefix = ['floatlb', ...path].join(' ');
  const out = [];
  for (const line of help.split('\n')) {
    if (!line.startsWith(`  ${prefix} `)) continue;
    const m = /^([a-z][\w-]*)(?:\s|$)/.exec(line.slice(prefix.length + 3));
    if (m && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

/**
 * Runs `help(path)` for the top level and every command under it, depth
 * first. Returns [{ path, text }] in that order.
 */
export function collectHelp(help, path = []) {
  const text = help(path);
  const pages = [{ path, text }];
  for (const sub of subcommands(text, path)) pages.push(...collectHelp(help, [...path, sub]));
  return pages;
}

/** The roff source of floatlb(8). */
export function renderManPage({ version, date, pages }) {
  const out = [
    `.TH FLOATLB 8 "${date}" "floatlb ${version}" "System Administration"`,
    '.SH NAME',
    'floatlb \\- keepalived-compatible load balancer: IPVS or nftables, health checks, VRRP',
    '.SH SYNOPSIS',
    '.B floatlb',
    '.I command',
    '[\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    'floatlb reads keepalived.conf(5), programs the kernel data plane (IPVS, or nftables',
    'where the kernel has no IPVS), checks the real servers with keepalived\\(aqs health',
    'checkers and holds the virtual addresses with VRRP, interoperable with keepalived.',
    'The sections below are the program\\(aqs own \\fB\\-\\-help\\fR for each command.',
  ];
  for (const { path, text } of pages) {
    out.push(path.length ? `.SS floatlb ${path.join(' ')}` : '.SH COMMANDS');
    out.push('.nf');
    for (const line of text.replace(/\s+$/, '').split('\n')) out.push(roffLine(line));
    out.push('.fi');
  }
  out.push(
    '.SH FILES',
    '.TP',
    '.I /etc/keepalived/keepalived.conf',
    'the configuration (the same file keepalived reads)',
    '.TP',
    '.I /etc/default/floatlb',
    'FLOATLB_OPTS: extra options for floatlb run under systemd',
    '.TP',
    '.I /var/lib/floatlb',
    'admin state (drained, unlinked and re-weighted servers), kept across restarts',
    '.TP',
    '.I /run/floatlb/api.sock',
    'the API socket used by floatlb status, reload and rs',
    '.SH SIGNALS',
    'SIGHUP re-reads the configuration and applies only the difference',
    '(systemctl reload floatlb). SIGTERM releases the virtual addresses',
    '(VRRP priority 0) and leaves the data plane in place.',
    '.SH SEE ALSO',
    '.BR keepalived.conf (5),',
    '.BR keepalived (8),',
    '.BR ipvsadm (8),',
    '.BR nft (8)',
  );
  return `${out.join('\n')}\n`;
}

/** floatlb(8) for the CLI at `cli` (a JavaScript file run with this node). */
export function manPageFor(cli, version, date) {
  const help = (path) => {
    const r = spawnSync(process.execPath, [cli, ...path, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '100' },
    });
    if (r.status !== 0) throw new Error(`floatlb ${path.join(' ')} --help exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  return renderManPage({ version, date, pages: collectHelp(help) });
}
