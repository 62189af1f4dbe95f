// The lab's record of what it created: one JSON file per running lab under
// the state directory. Every namespace, process, directory and VM is written
// down BEFORE it is created, so `lab down` can remove it after a crash or a
// kill -9 of the lab itself. Teardown only touches what a record names.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deleteNetns, listNetns } from './netns.js';

export const DEFAULT_LAB_STATE_DIR = '/run/floatlb-lab';

export function labStateDir(): string {
  return process.env.FLOATLB_LAB_STATE_DIR ?? DEFAULT_LAB_STATE_DIR;
}

export interface ProcRecord {
  pid: number;
  /** Start time in clock ticks (/proc/PID/stat field 22): pids are reused. */
  start: number;
  what: string;
}

export interface LabRecord {
  version: 1;
  id: string;
  scenario: string;
  /** The lab process that owns it (the `lab up` or `lab test` run). */
  owner: ProcRecord;
  createdAt: string;
  netns: string[];
  procs: ProcRecord[];
  dirs: string[];
  /** lab VM job ids (or a fragment, "-PID-"): qemu runs with `floatlb-lab-<jobId>` in its command line. */
  vms: string[];
}

export function procStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; fields follow the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie is dead: it only waits for its parent to reap it.
    if (rest[0] === 'Z' || rest[0] === 'X') return null;
    return Number(rest[19]);
  } catch {
    return null;
  }
}

export function procAlive(p: ProcRecord): boolean {
  return procStart(p.pid) === p.start;
}

/** One lab's state file; every mutation is written through at once. */
export class LabState {
  readonly file: string;
  readonly record: LabRecord;

  private constructor(file: string, record: LabRecord) {
    this.file = file;
    this.record = record;
  }

  static create(id: string, scenario: string): LabState {
    const dir = labStateDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${id}.json`);
    if (existsSync(file))
      throw new Error(`lab ${id} is already up (${file}); run: npm run lab -- down ${id}`);
    const owner = { pid: process.pid, start: procStart(process.pid) ?? 0, what: 'lab' };
    const s = new LabState(file, {
      version: 1,
      id,
      scenario,
      owner,
      createdAt: new Date().toISOString(),
      netns: [],
      procs: [],
      dirs: [],
      vms: [],
    });
    s.save();
    return s;
  }

  static load(file: string): LabState {
    return new LabState(file, JSON.parse(readFileSync(file, 'utf8')) as LabRecord);
  }

  save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.record, null, 2)}\n`);
    renameSync(tmp, this.file);
  }

  addNetns(name: string): void {
    if (!this.record.netns.includes(name)) this.record.netns.push(name);
    this.save();
  }

  addDir(path: string): void {
    if (!this.record.dirs.includes(path)) this.record.dirs.push(path);
    this.save();
  }

  addVm(jobId: string): void {
    this.record.vms.push(jobId);
    this.save();
  }

  addProc(pid: number, what: string): ProcRecord {
    const p = { pid, start: procStart(pid) ?? 0, what };
    this.record.procs.push(p);
    this.save();
    return p;
  }

  dropProc(pid: number): void {
    this.record.procs = this.record.procs.filter((p) => p.pid !== pid);
    this.save();
  }
}

/** Every lab state file present, parsed; unreadable ones are skipped. */
export function listLabs(): LabState[] {
  const dir = labStateDir();
  if (!existsSync(dir)) return [];
  const out: LabState[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(LabState.load(join(dir, f)));
    } catch {
      // a file being written
    }
  }
  return out;
}

function killRecorded(p: ProcRecord): boolean {
  if (!procAlive(p)) return false;
  try {
    process.kill(p.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

function killVm(jobId: string): boolean {
  let killed = false;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      // jobId may be a fragment of the job id (e.g. "-PID-" of its creator).
      if (cmd.includes('floatlb-lab-') && cmd.includes(jobId)) {
        process.kill(Number(d), 'SIGKILL');
        killed = true;
      }
    } catch {
      // gone
    }
  }
  return killed;
}

export interface TeardownReport {
  id: string;
  netns: string[];
  procs: number;
  vms: number;
  dirs: number;
}

/**
 * Removes everything one record names: the processes (only if still the same
 * process), the VMs, the namespaces (with whatever runs inside them), the
 * directories, and finally the state file.
 */
export function teardown(s: LabState): TeardownReport {
  const r = s.record;
  let procs = 0;
  for (const p of r.procs) if (killRecorded(p)) procs++;
  // SIGKILL is asynchronous: wait (briefly) until they are gone.
  const until = Date.now() + 3000;
  while (r.procs.some(procAlive) && Date.now() < until) execFileSync('sleep', ['0.05']);
  let vms = 0;
  for (const v of r.vms) if (killVm(v)) vms++;
  const present = new Set(listNetns());
  const gone: string[] = [];
  // Hubs last: deleting a member namespace first removes its veth ends.
  const order = [...r.netns].sort((a, b) => Number(a.endsWith('-hub')) - Number(b.endsWith('-hub')));
  for (const n of order) {
    if (!present.has(n)) continue;
    deleteNetns(n);
    gone.push(n);
  }
  let dirs = 0;
  for (const d of r.dirs) {
    if (existsSync(d)) {
      rmSync(d, { recursive: true, force: true });
      dirs++;
    }
  }
  rmSync(s.file, { force: true });
  return { id: r.id, netns: gone, procs, vms, dirs };
}

/** Counts what a record still holds on the machine (for `lab list` and tests). */
export function leftovers(r: LabRecord): { netns: string[]; procs: ProcRecord[] } {
  const present = new Set(listNetns());
  return { netns: r.netns.filter((n) => present.has(n)), procs: r.procs.filter(procAlive) };
}

/** True when the process that owns the lab is gone (it crashed or was killed). */
export function ownerGone(r: LabRecord): boolean {
  return !procAlive(r.owner);
}

export function hostInterfaces(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean);
}
