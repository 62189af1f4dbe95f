// The shipped CLI is one bundle (dist/src/cli/main.js, built by `npm run
// build`, which `npm test` runs first). The lab is a development package:
// no lab module, no qemu launcher, no lab VM code ends up in the product.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/root.js';

const BUNDLE = join(REPO_ROOT, 'dist/src/cli/main.js');

function bundle(): string {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  return readFileSync(BUNDLE, 'utf8');
}

/** The modules esbuild put in the bundle: it heads each with a `// path` line. */
function modules(text: string): string[] {
  return [...text.matchAll(/^\/\/ (dist\/\S+\.js)$/gm)].map((m) => m[1]!);
}

describe('the bundled CLI', () => {
  it('names its modules (so the check below can see where each came from)', () => {
    const mods = modules(bundle());
    expect(mods).toContain('dist/src/cli/main.js');
    expect(mods).toContain('dist/src/daemon/daemon.js');
  });

  it('contains no qemu launcher and no lab VM code', () => {
    const text = bundle();
    for (const marker of ['qemu-system', 'virtio-9p-pci', 'mount_tag=hostroot', 'switch_root']) {
      expect(text.includes(marker), marker).toBe(false);
    }
    expect(modules(text).filter((m) => m.startsWith('dist/lab/'))).toEqual([]);
  });
});
