// Shared by the docker tier's tests: the repository root, Debian's Docker
// client, compose projects driven by testcontainers, and what a project
// leaves behind.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DockerComposeEnvironment } from 'testcontainers';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** Debian's client, which matches the engine lab/setup.sh installs. */
export const DOCKER = '/usr/bin/docker';

const pexec = promisify(execFile);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; never throws on a non-zero exit (the caller asserts). */
export async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  try {
    const r = await pexec(cmd, args, { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    };
  }
}

/** A compose file as testcontainers brings it up, with docker-compose v1 (the client Debian ships). */
export function composeEnvironment(file: string, project: string): DockerComposeEnvironment {
  return new DockerComposeEnvironment(root, file)
    .withProjectName(project)
    .withBuild()
    .withClientOptions({ executable: { standalone: true, executablePath: 'docker-compose' } });
}

/** A command as an operator types it in the repository, e.g. `docker-compose kill d1`, for one project. */
export function compose(project: string, file: string, args: string[]): Promise<RunResult> {
  return run('docker-compose', ['-f', file, ...args], { COMPOSE_PROJECT_NAME: project });
}

/** Containers, networks and volumes carrying the project's compose label. */
export async function leftovers(project: string): Promise<string[]> {
  const label = `label=com.docker.compose.project=${project}`;
  const out: string[] = [];
  for (const [kind, args] of [
    ['container', ['ps', '-a', '--filter', label, '--format', '{{.Names}}']],
    ['network', ['network', 'ls', '--filter', label, '--format', '{{.Name}}']],
    ['volume', ['volume', 'ls', '--filter', label, '--format', '{{.Name}}']],
  ] as const) {
    const r = await run(DOCKER, [...args]);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
    for (const name of r.stdout.split('\n').filter(Boolean)) out.push(`${kind} ${name}`);
  }
  return out;
}

/** One line of lab/servers/client.mjs in --interval mode. */
export interface Attempt {
  t: number;
  ok: boolean;
  who?: string;
  err?: string;
}

export function attempts(log: string): Attempt[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith('{"t":'))
    .map((l) => JSON.parse(l) as Attempt);
}

/** The client.mjs --count summary line. */
export interface Summary {
  ok: number;
  failed: number;
  byServer: Record<string, number>;
}

export function summary(out: string): Summary {
  const line = out.split('\n').find((l) => l.startsWith('{"ok":'));
  if (!line) throw new Error(`no summary line in the client's output: ${out}`);
  return JSON.parse(line) as Summary;
}

/** Polls `check` until it returns true or `ms` passes (a liveness bound, not a speed claim). */
export async function waitFor(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
