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
