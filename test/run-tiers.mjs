#!/usr/bin/env node
// Runs the checks and the three test tiers, prints each tier's counts and a
// closing "N passed, N failed" line. Usage: node test/run-tiers.mjs [tier...]
//   lint   biome check
//   unit   pure tests, no root
//   host   root; network namespaces on this machine's kernel
//   docker root; a real Docker engine (started when none runs): the compose
//          lab and the Debian package, under a lock so that two runs on one
//          machine take turns (the compose files use fixed subnets)
//   kernel inside the lab VM, which has IPVS: the kernel project, then in
//          the same boot the vm-lab project (the seed scenarios, real traffic
//          and the differential test against keepalived), one file at a time
//          with nothing else running
//   vm-lab the vm-lab project alone
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const all = ['lint', 'unit', 'host', 'docker', 'kernel'];
const tiers = process.argv.slice(2).length ? process.argv.slice(2) : all;
// Not /tmp: the kernel tier writes its report from inside the VM, whose /tmp
// is its own tmpfs.
const outDir = mkdtempSync(join('/var/tmp', 'floatlb-tiers-'));
const results = [];
const DOCKER_LOCK = '/run/floatlb-docker-lab.lock';

// In-process logs at info would bury the test output; tests that read a
// director's log set their own level.
const env = { ...process.env, FLOATLB_LOG_LEVEL: process.env.FLOATLB_LOG_LEVEL ?? 'warn' };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  return r.status ?? 1;
}

/** node + vitest's own entry (under emulation npx alone costs over a minute). */
function vitestCmd(project, jsonFile) {
  return [
    'node',
    'node_modules/vitest/vitest.mjs',
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${jsonFile}`,
    // Each vm-lab file loads the emulated VM on its own; docker files share
    // one engine and fixed subnets.
    ...(project === 'vm-lab' || project === 'docker' ? ['--no-file-parallelism'] : []),
  ];
}

const shq = (a) => (/^[\w./=-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);

function counts(jsonFile) {
  if (!existsSync(jsonFile)) return null;
  const j = JSON.parse(readFileSync(jsonFile, 'utf8'));
  return {
    passed: j.numPassedTests,
    failed: j.numFailedTests + (j.numFailedTestSuites ?? 0) * (j.numFailedTests ? 0 : 1),
    skipped: j.numPendingTests + (j.numTodoTests ?? 0),
    total: j.numTotalTests,
    failures: failuresOf(j),
  };
}

// The failing tests by file and name, with the first lines of each error, so
// the closing summary (the part a CI log keeps) says what broke.
function failuresOf(j) {
  const out = [];
  for (const file of j.testResults ?? []) {
    const rel = String(file.name ?? '').replace(root, '');
    if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed')) {
      out.push(
        `${rel}: ${String(file.message ?? 'the file failed to run')
          .split('\n')
          .slice(0, 4)
          .join(' | ')}`,
      );
    }
    for (const a of file.assertionResults ?? []) {
      if (a.status !== 'failed') continue;
      const msg = (a.failureMessages ?? []).join('\n').split('\n').slice(0, 4).join(' | ');
      out.push(`${rel} > ${a.fullName ?? a.title}: ${msg.slice(0, 600)}`);
    }
  }
  return out;
}

for (const tier of tiers) {
  console.log(`\n=== tier: ${tier} ===`);
  if (tier === 'lint') {
    const code = run('npx', ['biome', 'check', '.']) || run('npx', ['tsc', '-p', 'tsconfig.check.json']);
    results.push({ tier, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, code });
    continue;
  }
  const projects = tier === 'kernel' ? ['kernel', 'vm-lab'] : [tier];
  const jsonFiles = projects.map((p) => join(outDir, `${p}.json`));
  let code;
  if (tier === 'kernel' || tier === 'vm-lab') {
    // One VM boot runs the projects in turn; the JSON reports land on the
    // shared filesystem.
    const steps = projects.map((p, i) => vitestCmd(p, jsonFiles[i]));
    const script = `${steps.map((st, i) => `${st.map(shq).join(' ')}; s${i}=$?`).join('; ')}; exit $((${steps.map((_, i) => `s${i}`).join(' | ')}))`;
    code = run('node', [
      'dist/lab/vm/cli.js',
      'run',
      '--timeout',
      tier === 'kernel' ? '4800' : '3600',
      '--cwd',
      root,
      '--',
      'sh',
      '-c',
      script,
    ]);
  } else {
    const [cmd, ...args] = vitestCmd(tier, jsonFiles[0]);
    code = tier === 'docker' ? run('flock', [DOCKER_LOCK, cmd, ...args]) : run(cmd, args);
  }
  // A project that wrote no report counts as one failure; the others keep their counts.
  const c = jsonFiles
    .map((f) => counts(f) ?? { passed: 0, failed: 1, skipped: 0, total: 0 })
    .reduce((a, b) => ({
      passed: a.passed + b.passed,
      failed: a.failed + b.failed,
      skipped: a.skipped + b.skipped,
      total: a.total + b.total,
      failures: [...(a.failures ?? []), ...(b.failures ?? [])],
    }));
  if (c.total === 0) c.failed = Math.max(c.failed, 1);
  results.push({ tier, ...c, code });
}

console.log('\n=== summary ===');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  console.log(
    `${r.tier.padEnd(7)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (exit ${r.code})`,
  );
  for (const f of r.failures ?? []) console.log(`  FAILED ${f}`);
  passed += r.passed;
  failed += r.failed + (r.code !== 0 && r.failed === 0 ? 1 : 0);
  skipped += r.skipped;
}
// Skipped tests count as failures: a missing prerequisite must not pass.
failed += skipped;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
