// Shared by the docker tier's tests: the repository root, Debian's Docker
// client, compose projects driven by testcontainers, and what a project
// leaves behind.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment } from 'testcontainers';

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

/** Whether the container holds the VIP (as a /32) on eth0. */
export async function holdsVip(
  env: StartedDockerComposeEnvironment | undefined,
  container: string,
  vip: string,
): Promise<boolean> {
  const r = await env?.getContainer(container).exec(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  return r?.exitCode === 0 && r.output.includes(` ${vip}/32 `);
}

/**
 * Waits until the client container's own loop, since `since`, has had at
 * least `minOk` answers after its last failure, from all `servers` servers;
 * returns every attempt since `since`.
 */
export async function clientRecovered(
  client: string,
  since: number,
  servers: number,
  minOk: number,
): Promise<Attempt[]> {
  let after: Attempt[] = [];
  await waitFor(
    `the client answered by all ${servers} servers after the takeover`,
    async () => {
      const logs = await run(DOCKER, ['logs', client]);
      after = attempts(logs.stdout).filter((a) => a.t > since);
      const lastFail = Math.max(0, ...after.filter((a) => !a.ok).map((a) => a.t));
      const ok = after.filter((a) => a.ok && a.t > lastFail);
      return ok.length >= minOk && new Set(ok.map((a) => a.who)).size === servers;
    },
    60_000,
  );
  return after;
}
