// The program's version, from the package.json that ships with it: the
// repository's (dist/src/cli/main.js) or the Debian package's
// (/usr/lib/floatlb/main.js). yargs would look beside the working directory.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function programVersion(from: string = fileURLToPath(import.meta.url)): string {
  for (let d = dirname(from); ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      const meta = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (meta.name === 'floatlb' && meta.version) return meta.version;
    }
    if (dirname(d) === d) return 'unknown';
  }
}
