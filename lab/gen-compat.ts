// Writes docs/compat.md from the keyword table (npm run gen:compat).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCompatMarkdown } from '../src/config/compat.js';

const here = new URL('.', import.meta.url).pathname;
const out = join(here, here.includes('/dist/') ? '../..' : '..', 'docs/compat.md');
writeFileSync(out, renderCompatMarkdown());
process.stdout.write(`wrote ${out}\n`);
