#!/usr/bin/env node
import { prepareKernel } from './prepare.js';
// node dist/lab/vm/cli.js prepare
// node dist/lab/vm/cli.js run [--timeout S] [--cwd DIR] [--mem MB] -- CMD ARGS...
// node dist/lab/vm/cli.js clean [--all]
import { bootVm, cleanVms } from './run.js';

const USAGE = `usage: cli.js prepare
       cli.js run [--timeout SECONDS] [--cwd DIR] [--mem MB] -- CMD ARGS...
       cli.js clean [--all]`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

async function run(args: string[]): Promise<number> {
  let timeoutS = 600;
  let cwd = process.cwd();
  let mem = 2048;
  let i = 0;
  for (; i < args.length && args[i] !== '--'; i++) {
    const flag = args[i];
    const val = args[++i];
    if (val === undefined) fail(`${flag} needs a value`);
    if (flag === '--timeout') timeoutS = Number(val);
    else if (flag === '--cwd') cwd = val;
    else if (flag === '--mem') mem = Number(val);
    else fail(`unknown option ${flag}`);
  }
  const cmd = args.slice(i + 1);
  if (cmd.length === 0) fail('run needs -- CMD');
  if (!(timeoutS > 0) || !(mem >= 256)) fail('bad --timeout or --mem');
  const abort = new AbortController();
  let signalled = 0;
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(sig, () => {
      signalled = code;
      abort.abort();
    });
  }
  const r = await bootVm(cmd, {
    timeoutMs: timeoutS * 1000,
    cwd,
    memMb: mem,
    signal: abort.signal,
    onStdout: (s) => process.stdout.write(s),
    onStderr: (s) => process.stderr.write(s),
  });
  if (process.env.FLOATLB_LAB_DEBUG) process.stderr.write(`lab-vm: console:\n${r.console}\n`);
  const t = r.timing;
  const times = t
    ? `; guest: command started at ${t.command.toFixed(1)} s (modules ${(t.modules - t.init).toFixed(1)} s)`
    : '';
  process.stderr.write(
    `lab-vm: exit ${r.code}${r.timedOut ? ' (timed out)' : ''} after ${(r.wallMs / 1000).toFixed(1)} s${times}\n`,
  );
  return signalled || r.code;
}

async function main(): Promise<number> {
  const [verb, ...rest] = process.argv.slice(2);
  switch (verb) {
    case 'prepare':
      await prepareKernel();
      return 0;
    case 'run':
      return run(rest);
    case 'clean': {
      const gone = cleanVms({ all: rest.includes('--all') });
      console.log(`lab-vm: removed ${gone.length} job(s)${gone.length ? `: ${gone.join(' ')}` : ''}`);
      return 0;
    }
    default:
      fail(verb ? `unknown command ${verb}` : 'missing command');
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`lab-vm: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
