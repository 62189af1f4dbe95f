// keepalived 2.2.7's verdict on a config file, used as the oracle for the
// config corpus. `keepalived -t` checks that the interfaces a file names
// exist, so each file is checked in a fresh namespace holding a veth for each
// of them. Run `npm run oracle:config` to record the verdicts of
// test/fixtures/config/corpus into its oracle.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Netns } from './netns.js';

/**
 * keepalived -t exit codes (2.2.7): 0 clean; 5 problems reported, and keepalived
 * runs with them (it warns, skips the item, uses a default); 6 script security
 * (it runs with the scripts disabled) or a missing file an includem/includea
 * demands (it does not run); 4 missing config or a fatal error; 2 a keyword
 * missing its parameter (it exits while parsing).
 */
export type Verdict = 'accept' | 'refuse';

export interface OracleEntry {
  verdict: Verdict;
  /** keepalived -t's exit code. */
  rc: number;
  /** keepalived reported nothing at all. */
  clean: boolean;
  /** The first lines keepalived printed, for a reader of oracle.json. */
  said: string[];
}

export function verdictOf(rc: number, output: string): Verdict {
  if (rc === 0 || rc === 5) return 'accept';
  // rc 6 is also keepalived's "no usable config" (an includea that matches nothing):
  // that exit comes before the script checks, so it never prints a security verdict.
  if (rc === 6 && /SECURITY VIOLATION/.test(output)) return 'accept';
  return 'refuse';
}

/** The config id both keepalived and floatlb are given for the corpus. */
export const CONFIG_ID = 'corpus';

const IFNAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,14}$/;
const KERNEL_OWNED = new Set(['lo', 'all', 'default', 'any']);

/** Interface names a file mentions: after interface/dev/lvs_sync_daemon, and in track_interface blocks. */
export function interfacesNamed(text: string): string[] {
  const names = new Set<string>();
  const lines = text.split('\n').map((l) => l.replace(/[#!].*$/, ''));
  let inList = false;
  for (const line of lines) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (inList) {
      if (words[0] === '}') inList = false;
      else if (words[0] && words[0] !== '{') names.add(words[0]);
      continue;
    }
    for (let i = 0; i + 1 < words.length; i++) {
      const w = words[i]!;
      if (/^(interface|dev|lvs_sync_daemon|default_interface|use_vmac|vmac_xmit_base|ipvlan)$/.test(w)) {
        if (w !== 'use_vmac' && w !== 'vmac_xmit_base' && w !== 'ipvlan') names.add(words[i + 1]!);
      }
    }
    if (/^(track_interface|linkbeat_interfaces)\b/.test(words[0] ?? '') && line.includes('{')) {
      const after = line.slice(line.indexOf('{') + 1).trim();
      if (after.includes('}')) {
        for (const w of after.replace('}', '').trim().split(/\s+/)) if (w) names.add(w);
      } else {
        inList = true;
        if (after) names.add(after.split(/\s+/)[0]!);
      }
    }
  }
  return [...names].filter((n) => IFNAME.test(n) && !KERNEL_OWNED.has(n)).sort();
}

/** Runs keepalived -t on file in a fresh namespace that has the interfaces the file names. */
export function keepalivedCheck(file: string, nsName: string): { rc: number; output: string } {
  const ns = Netns.create(nsName);
  const run = mkdtempSync(join(tmpdir(), 'floatlb-oracle-'));
  try {
    interfacesNamed(readFileSync(file, 'utf8')).forEach((name, i) => {
      try {
        ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `orp${i}`);
        ns.ip('link', 'set', name, 'up');
      } catch {
        // a name the kernel refuses: keepalived then reports it, as on a real host
      }
    });
    const p = (n: string) => join(run, n);
    // A fixed config id, so @id lines do not depend on the host name.
    const args = ['netns', 'exec', ns.name, 'keepalived', '-t', '-l', '-D', '-i', CONFIG_ID, '-f', file];
    args.push('-p', p('k.pid'), '-r', p('v.pid'), '-c', p('c.pid'), '-b', p('b.pid'));
    const res = spawnSync('ip', args, { encoding: 'utf8', timeout: 60_000, cwd: run });
    return { rc: res.status ?? -1, output: `${res.stdout}${res.stderr}` };
  } finally {
    ns.delete();
    rmSync(run, { recursive: true, force: true });
  }
}

export function oracleEntry(file: string, nsName: string): OracleEntry {
  const { rc, output } = keepalivedCheck(file, nsName);
  const said = [...new Set(output.split('\n').filter((l) => l.trim() !== ''))].slice(0, 6);
  return { verdict: verdictOf(rc, output), rc, clean: rc === 0, said };
}

const HERE = new URL('.', import.meta.url).pathname;
/** The corpus directory, from the source tree (lab/) or the build (dist/lab/). */
export const CORPUS_DIR = join(HERE, HERE.includes('/dist/') ? '../..' : '..', 'test/fixtures/config/corpus');

/** The corpus's config files: every file in the directory but its records. */
export function corpusFiles(dir = CORPUS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.conf'))
    .map((d) => d.name)
    .sort();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? CORPUS_DIR;
  const out: Record<string, OracleEntry> = {};
  for (const name of corpusFiles(dir)) {
    out[name] = oracleEntry(join(dir, name), `fltoracle-${process.pid}`);
    process.stdout.write(`${out[name].verdict} rc=${out[name].rc} ${name}\n`);
  }
  writeFileSync(join(dir, 'oracle.json'), `${JSON.stringify(out, null, 2)}\n`);
}
