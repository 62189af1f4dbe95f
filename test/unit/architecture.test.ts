// The layering rule of docs/architecture.md, enforced on every import under
// src/. The table in that document is the rule: this test reads it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface Rules {
  /** src folder -> the layers it may import (src folders, or "native", "lab"). */
  readonly allowed: ReadonlyMap<string, ReadonlySet<string>>;
  /** package -> the only layer that may import it. */
  readonly packages: ReadonlyMap<string, string>;
}

/** Reads the "may import" table of the architecture document. */
function readRules(markdown: string): Rules {
  const allowed = new Map<string, Set<string>>();
  for (const m of markdown.matchAll(/^\| `src\/([a-z-]+)` \| ([^|]+) \|$/gm)) {
    const list = m[2]!.trim();
    allowed.set(m[1]!, new Set(list === 'nothing' ? [] : list.split(/,\s*/)));
  }
  const packages = new Map<string, string>([
    ['koffi', 'native'],
    ['yargs', 'cli'],
  ]);
  return { allowed, packages };
}

/** The layer a path belongs to: a folder of src/, or a top-level folder beside it. */
function layerOf(path: string): string {
  const parts = relative(ROOT, path).split('/');
  return parts[0] === 'src' ? parts[1]!.replace(/\.ts$/, '') : parts[0]!;
}

/** Commands that change kernel state; only src/kernel (and native/) may run them. */
const KERNEL_TOOLS = ['ip', 'nft', 'ipvsadm', 'sysctl', 'modprobe', 'iptables', 'ip6tables', 'tc', 'ethtool'];
const SPAWN = /\b(?:spawn|spawnSync|exec|execSync|execFile|execFileSync|fork)\(\s*(['"`])([^'"`]+)\1/g;

/** Kernel access outside src/kernel: a kernel tool run as a child process, or a write under /proc/sys or /sys. */
function kernelAccess(file: string, text: string): string[] {
  if (layerOf(file) === 'kernel') return [];
  const rel = relative(ROOT, file);
  const out: string[] = [];
  for (const m of text.matchAll(SPAWN)) {
    const cmd = m[2].split(/\s+/)[0].split('/').pop()!;
    if (KERNEL_TOOLS.includes(cmd)) out.push(`${rel}: runs ${cmd}: only src/kernel may`);
  }
  if (/['"`]\/(?:proc\/sys|sys)\//.test(text))
    out.push(`${rel}: names a path under /proc/sys or /sys: only src/kernel may`);
  return out;
}

/** lab/ reached from src/: the lab is a development package, never part of the product. */
function labImports(file: string, text: string): string[] {
  const rel = relative(ROOT, file);
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((spec) => spec.startsWith('.') && layerOf(resolve(dirname(file), spec)) === 'lab')
    .map((spec) => `${rel}: import '${spec}': the lab is a development package, never imported by src/`);
}

interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly why: string;
}

/** Every forbidden import of one file, given its text. */
function violations(file: string, text: string, rules: Rules): Violation[] {
  const from = layerOf(file);
  const may = rules.allowed.get(from);
  const rel = relative(ROOT, file);
  const out: Violation[] = [];
  const imports = ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
  if (!may) return [{ file: rel, specifier: '', why: `src/${from} has no row in docs/architecture.md` }];
  for (const spec of imports) {
    if (spec.startsWith('.')) {
      const to = layerOf(resolve(dirname(file), spec));
      if (to !== from && !may.has(to)) {
        out.push({ file: rel, specifier: spec, why: `src/${from} may not import ${to}` });
      }
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      const owner = rules.packages.get(pkg);
      if (owner && owner !== from) {
        out.push({ file: rel, specifier: spec, why: `only ${owner} may import the package ${pkg}` });
      }
    }
  }
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const rules = readRules(readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8'));

describe('layering (docs/architecture.md)', () => {
  it('has a rule for every folder of src/', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.filter((f) => !rules.allowed.has(f))).toEqual([]);
    expect(rules.allowed.get('director')).toBeDefined();
  });

  it('no file under src/ imports across a forbidden arrow', () => {
    const found = tsFiles(join(ROOT, 'src')).flatMap((f) => violations(f, readFileSync(f, 'utf8'), rules));
    const lines = found.map((v) => `${v.file}: import '${v.specifier}': ${v.why}`);
    expect(lines, lines.join('\n')).toEqual([]);
  });

  it('only src/kernel runs kernel tools or writes /proc/sys and /sys', () => {
    const found = tsFiles(join(ROOT, 'src')).flatMap((f) => kernelAccess(f, readFileSync(f, 'utf8')));
    expect(found, found.join('\n')).toEqual([]);
  });

  it('reaches lab/ only through the demo command, and never its VM part', () => {
    const found = tsFiles(join(ROOT, 'src')).flatMap((f) => labImports(f, readFileSync(f, 'utf8')));
    expect(found, found.join('\n')).toEqual([]);
  });

  it('catches a kernel tool, a sysctl write and a lab import out of place', () => {
    const vrrp = join(ROOT, 'src/vrrp/x.ts');
    expect(
      kernelAccess(
        vrrp,
        [
          "import { execFileSync, spawn } from 'node:child_process';",
          "execFileSync('ip', ['addr', 'add', '10.0.0.1/32', 'dev', 'eth0']);",
          "spawn(`/usr/sbin/nft`, ['-f', '-']);",
          "spawn('/bin/sh', ['-c', script]);",
          "writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');",
        ].join('\n'),
      ),
    ).toEqual([
      'src/vrrp/x.ts: runs ip: only src/kernel may',
      'src/vrrp/x.ts: runs nft: only src/kernel may',
      'src/vrrp/x.ts: names a path under /proc/sys or /sys: only src/kernel may',
    ]);
    expect(kernelAccess(join(ROOT, 'src/kernel/x.ts'), "execFileSync('sysctl', ['-w', 'a=1']);")).toEqual([]);
    expect(labImports(join(ROOT, 'src/api/x.ts'), "import { x } from '../../lab/netns.js';")).toEqual([
      "src/api/x.ts: import '../../lab/netns.js': the lab is a development package, never imported by src/",
    ]);
    expect(
      labImports(join(ROOT, 'src/cli/commands/x.ts'), "import { x } from '../../../lab/vm/launch.js';"),
    ).toEqual([
      "src/cli/commands/x.ts: import '../../../lab/vm/launch.js': the lab is a development package, never imported by src/",
    ]);
    expect(labImports(join(ROOT, 'src/cli/commands/x.ts'), "import { x } from '../config/load.js';")).toEqual(
      [],
    );
  });

  it('catches an upward arrow, a dynamic import and a package out of place, naming file and import', () => {
    const file = join(ROOT, 'src/director/example.ts');
    const text = [
      "import { ApiServer } from '../api/server.js';",
      "export { x } from '../daemon/daemon.js';",
      "const later = () => import('../vrrp/manager.js');",
      "import yargs from 'yargs';",
      "import type { FloatlbConfig } from '../config/model.js';",
      "import { Rtnl } from '../kernel/rtnetlink.js';",
    ].join('\n');
    expect(violations(file, text, rules)).toEqual([
      {
        file: 'src/director/example.ts',
        specifier: '../api/server.js',
        why: 'src/director may not import api',
      },
      {
        file: 'src/director/example.ts',
        specifier: '../daemon/daemon.js',
        why: 'src/director may not import daemon',
      },
      {
        file: 'src/director/example.ts',
        specifier: '../vrrp/manager.js',
        why: 'src/director may not import vrrp',
      },
      { file: 'src/director/example.ts', specifier: 'yargs', why: 'only cli may import the package yargs' },
    ]);
    expect(violations(join(ROOT, 'src/kernel/x.ts'), "import '../../native/libc.js';", rules)).toEqual([]);
    expect(violations(join(ROOT, 'src/vrrp/x.ts'), "import '../../native/libc.js';", rules)).toHaveLength(1);
    expect(
      violations(join(ROOT, 'src/vrrp/x.ts'), "import '../../test/support/netns.js';", rules),
    ).toHaveLength(1);
  });
});
