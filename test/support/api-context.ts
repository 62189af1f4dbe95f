// The API's reload for tests that run a director without the daemon around it.
import type { ReloadReport } from '../../src/api/routes.js';
import type { Director } from '../../src/director/director.js';

export function directorReload(director: Director): () => Promise<ReloadReport> {
  return async () => {
    const r = await director.reload();
    return { operations: r.ops.length, errors: r.errors, warnings: director.configWarnings };
  };
}
