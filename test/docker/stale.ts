// What a crashed earlier run of the docker tier left behind: compose projects
// and containers named or labelled with the pid of a test process that no
// longer exists. Removing them keeps a crash from wedging the next run (the
// compose files use fixed subnets, which a stale network would still hold).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const DOCKER = '/usr/bin/docker';
/** The label the tier's own containers carry: the pid of the test process. */
export const PID_LABEL = 'floatlb.test-pid';
/** Compose project names the tier uses: fltc<pid><suffix>. */
export const projectPid = (project: string): number | null => {
  const m = /^fltc(\d+)/.exec(project);
  return m ? Number(m[1]) : null;
};

const docker = (args: string[]) => execFileSync(DOCKER, args, { encoding: 'utf8' });
const dead = (pid: number | null) => pid !== null && !existsSync(`/proc/${pid}`);

/** Removes stale containers, then stale networks; returns what it removed. */
export function removeStale(): string[] {
  const removed: string[] = [];
  const rows = (args: string[]) =>
    docker(args)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '));
  for (const [id, project, pid] of rows([
    'ps',
    '-a',
    '--format',
    `{{.ID}} {{.Label "com.docker.compose.project"}} {{.Label "${PID_LABEL}"}}`,
  ])) {
    if (id && (dead(projectPid(project ?? '')) || (pid && dead(Number(pid))))) {
      docker(['rm', '-f', '-v', id]);
      removed.push(`container ${id}`);
    }
  }
  for (const [id, project] of rows([
    'network',
    'ls',
    '--format',
    '{{.ID}} {{.Label "com.docker.compose.project"}}',
  ])) {
    if (id && dead(projectPid(project ?? ''))) {
      docker(['network', 'rm', id]);
      removed.push(`network ${id}`);
    }
  }
  return removed;
}
