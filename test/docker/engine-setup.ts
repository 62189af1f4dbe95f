// The docker tier's global set-up: a Docker engine (lab/docker/engine.sh
// starts Debian's dockerd when none answers, and stops it afterwards only if
// it started it) and the lab's images (lab/docker/images.sh, cached). Either
// failing fails the tier: nothing here is skipped.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { removeStale } from './stale.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(script: string, arg?: string): string {
  const r = spawnSync('bash', [script, ...(arg ? [arg] : [])], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${script} ${arg ?? ''} failed (exit ${r.status})`);
  return r.stdout.trim();
}

export default function setup(): () => void {
  if (process.getuid?.() !== 0) throw new Error('the docker tier needs root (it runs dockerd)');
  const started = run('lab/docker/engine.sh', 'start') === 'started';
  try {
    const stale = removeStale();
    if (stale.length) console.log(`removed what an earlier run left: ${stale.join(', ')}`);
    run('lab/docker/images.sh');
  } catch (e) {
    if (started) run('lab/docker/engine.sh', 'stop');
    throw e;
  }
  return () => {
    if (started) run('lab/docker/engine.sh', 'stop');
  };
}
