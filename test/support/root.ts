import { fileURLToPath } from 'node:url';

/** The source tree: this file is test/support/root.ts. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
