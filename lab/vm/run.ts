// Boots one VM for one command. Each run has its own job directory (init
// script, pid file, exit code) under the cache; qemu dies on timeout, on
// abort, when this process exits, and (through setpriv --pdeathsig) when this
// process is killed outright. clean() removes what a crashed run left behind.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { jobsDir, type LabStamp } from './config.js';
import { guestInit } from './guest.js';
import { prepareKernel, readStamp } from './prepare.js';

export interface BootOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  memMb?: number;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
}

/** Guest uptimes in seconds: init started, modules loaded, command started and ended. */
export interface GuestTiming {
  init: number;
  modules: number;
  command: number;
  end: number | null;
}

export interface BootResult {
  code: number;
  output: string;
  timedOut: boolean;
  jobId: string;
  console: string;
  timing: GuestTiming | null;
  wallMs: number;
}

interface Owner {
  owner: number;
  qemu: number;
}

const CONSOLE_KEEP = 64 * 1024;
const SERIALS = ['s0', 's1', 's2'] as const;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Kills qemu only if that pid is still the VM of this job (pids are reused). */
function killJobQemu(pid: number, jobId: string): void {
  if (pid > 0 && cmdlineOf(pid).includes(jobId)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Removes job directories whose owner is gone (all of them with `all`), killing their qemu. */
export function cleanVms(opts: { all?: boolean } = {}): string[] {
  const dir = jobsDir();
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const id of readdirSync(dir)) {
    const jd = join(dir, id);
    let owner: Owner | null = null;
    try {
      owner = JSON.parse(readFileSync(join(jd, 'owner.json'), 'utf8')) as Owner;
    } catch {
      // A job being created has no owner file for a moment.
      try {
        if (Date.now() - statSync(jd).mtimeMs < 60_000) continue;
      } catch {
        continue;
      }
    }
    if (owner && !opts.all && owner.owner !== process.pid && alive(owner.owner)) continue;
    if (owner && owner.owner === process.pid && !opts.all) continue;
    if (owner) killJobQemu(owner.qemu, id);
    rmSync(jd, { recursive: true, force: true });
    removed.push(id);
  }
  return removed;
}

function passEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (['PATH', 'HOME', 'CI', 'TERM'].includes(k) || k.startsWith('FLOATLB_')))
      env[k] = v;
  }
  return { ...env, ...extra };
}

let setprivOk: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivOk === undefined) {
    try {
      execFileSync('setpriv', ['--help'], { stdio: 'ignore' });
      setprivOk = true;
    } catch {
      setprivOk = false;
    }
  }
  return setprivOk;
}

function qemuArgs(stamp: LabStamp, jobId: string, jobDir: string, memMb: number): string[] {
  const cache = process.env.FLOATLB_LAB_9P_CACHE ?? 'loose';
  const append = [
    'console=ttyS0',
    'quiet',
    'loglevel=0',
    'panic=-1',
    // Under TCG every page-table switch costs a TLB flush; the lab needs no mitigations.
    'mitigations=off',
    `floatlb.job=${jobDir}`,
    ...(cache === 'none' ? [] : [`floatlb.9p=cache=${cache}`]),
  ].join(' ');
  return [
    ...[
      '-name',
      `floatlb-lab-${jobId}`,
      '-accel',
      'tcg,thread=multi',
      '-cpu',
      process.env.FLOATLB_LAB_CPU ?? 'max',
      '-smp',
      '2',
      '-m',
      String(memMb),
    ],
    ...['-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'],
    ...['-kernel', stamp.vmlinux, '-initrd', stamp.initrd, '-append', append],
    ...['-fsdev', 'local,id=r,path=/,security_model=passthrough,multidevs=remap'],
    ...['-device', 'virtio-9p-pci,fsdev=r,mount_tag=hostroot'],
    // ttyS0: kernel console; ttyS1/ttyS2: the command's stdout/stderr. Each is
    // a unix socket this process listens on; qemu connects at start-up.
    ...SERIALS.flatMap((s) => [
      '-chardev',
      `socket,id=${s},path=${join(jobDir, s)}`,
      '-serial',
      `chardev:${s}`,
    ]),
  ];
}

function readTiming(jobDir: string): GuestTiming | null {
  try {
    const t = readFileSync(join(jobDir, 'timing'), 'utf8');
    const num = (k: string) => Number(new RegExp(`${k}=([0-9.]+)`).exec(t)?.[1] ?? Number.NaN);
    const end = existsSync(join(jobDir, 'end')) ? Number(readFileSync(join(jobDir, 'end'), 'utf8')) : null;
    return { init: num('init'), modules: num('modules'), command: num('command'), end };
  } catch {
    return null;
  }
}

function pump(stream: Readable | null, sink: (s: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  const dec = new StringDecoder('utf8');
  stream.on('data', (b: Buffer) => sink(dec.write(b)));
  return new Promise((res) => {
    stream.on('close', () => {
      sink(dec.end());
      res();
    });
  });
}

/** One serial port's stream: a unix socket server that takes qemu's single connection. */
class SerialSink {
  private readonly server: Server;
  private done: Promise<void> = Promise.resolve();
  private connected = false;

  constructor(path: string, sink: (s: string) => void) {
    this.server = createServer((sock) => {
      this.connected = true;
      this.done = pump(sock, sink);
      this.server.close();
    });
    this.path = path;
  }

  readonly path: string;

  listen(): Promise<void> {
    return new Promise((res, rej) => {
      this.server.once('error', rej);
      this.server.listen(this.path, () => res());
    });
  }

  /** Waits for qemu's side to close (called once qemu has exited). */
  async finish(): Promise<void> {
    if (!this.connected) this.server.close();
    await this.done;
  }
}

/** Boots the lab VM, runs `command` in it and returns its exit code and output. */
export async function bootVm(command: string | string[], opts: BootOptions = {}): Promise<BootResult> {
  const stamp = readStamp() ?? (await prepareKernel());
  cleanVms();
  const jobId = `${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const jobDir = join(jobsDir(), jobId);
  mkdirSync(jobDir, { recursive: true });
  const started = Date.now();
  let child: ChildProcess | null = null;
  const killNow = () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killNow);
  try {
    const init = guestInit(stamp, {
      jobDir,
      command,
      cwd: opts.cwd ?? process.cwd(),
      env: passEnv(opts.env),
    });
    writeFileSync(join(jobDir, 'init.sh'), init, { mode: 0o755 });
    const args = qemuArgs(stamp, jobId, jobDir, opts.memMb ?? 2048);
    const [bin, argv] = hasSetpriv()
      ? ['setpriv', ['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', ...args]]
      : ['qemu-system-x86_64', args];
    let output = '';
    let consoleLog = '';
    const stampConsole = Boolean(process.env.FLOATLB_LAB_DEBUG);
    const keepConsole = (s: string) => {
      const t = stampConsole && s ? `[host +${((Date.now() - started) / 1000).toFixed(1)} s] ` : '';
      consoleLog = (consoleLog + t + s).slice(-CONSOLE_KEEP);
    };
    const serials = [
      new SerialSink(join(jobDir, 's0'), keepConsole),
      new SerialSink(join(jobDir, 's1'), (s) => {
        output += s;
        if (s) opts.onStdout?.(s);
      }),
      new SerialSink(join(jobDir, 's2'), (s) => {
        output += s;
        if (s) opts.onStderr?.(s);
      }),
    ];
    for (const s of serials) await s.listen();
    const proc = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    writeFileSync(join(jobDir, 'owner.json'), JSON.stringify({ owner: process.pid, qemu: proc.pid ?? 0 }));
    const qemuOut = [pump(proc.stdout, keepConsole), pump(proc.stderr, keepConsole)];

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killNow();
    }, opts.timeoutMs ?? 300_000);
    const onAbort = () => killNow();
    opts.signal?.addEventListener('abort', onAbort);
    const spawnError = await new Promise<Error | null>((res) => {
      proc.on('error', (e) => res(e));
      proc.on('close', () => res(null));
    });
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    keepConsole(stampConsole ? '(qemu exited)\n' : '');
    await Promise.all([...qemuOut, ...serials.map((s) => s.finish())]);
    if (spawnError) throw new Error(`cannot start qemu: ${spawnError.message}`);

    const timing = readTiming(jobDir);
    const exitFile = join(jobDir, 'exit');
    let code: number;
    if (timedOut) code = 124;
    else if (existsSync(exitFile) && /^\d+$/.test(readFileSync(exitFile, 'utf8').trim())) {
      code = Number(readFileSync(exitFile, 'utf8').trim());
    } else {
      code = 125;
      const msg = opts.signal?.aborted
        ? 'lab-vm: aborted; the VM was killed\n'
        : `lab-vm: the VM stopped before the command finished (qemu exit ${proc.exitCode ?? proc.signalCode}); console:\n${consoleLog}\n`;
      output += msg;
      opts.onStderr?.(msg);
    }
    return { code, output, timedOut, jobId, console: consoleLog, timing, wallMs: Date.now() - started };
  } finally {
    killNow();
    process.off('exit', killNow);
    rmSync(jobDir, { recursive: true, force: true });
  }
}
