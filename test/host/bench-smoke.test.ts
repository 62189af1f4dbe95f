// The benchmark harness end to end, briefly: every data-plane candidate,
// the at-scale run, the control plane and the report. It proves the harness
// works; it asserts nothing about speed (figures from a 1-second run on a
// shared machine mean nothing).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_NETNS_PREFIX, testRunId } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

const out = mkdtempSync(join(tmpdir(), 'floatlb-bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// On a loaded 2-core machine the smoke run takes minutes: the timeout is a liveness bound only.
describe('npm run bench:smoke', { timeout: 300_000 }, () => {
  it('runs every candidate and writes RESULTS.md, results.json and the charts', async () => {
    requireRoot();
    for (const t of ['wrk', 'iperf3', 'haproxy', 'nginx', 'nft']) requireTool(t);
    // async: a blocking spawn would starve vitest's worker RPC for the whole run
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [
          join(resolve(import.meta.dirname, '..', '..'), 'dist/bench/run.js'),
          '--smoke',
          '--out',
          out,
          '--prefix',
          `${TEST_NETNS_PREFIX}${testRunId()}-bn-`,
        ],
        { encoding: 'utf8', timeout: 240_000, maxBuffer: 1 << 24 },
        (err, _out, stderr) => done({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }),
      );
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.smoke).toBe(true);
    expect(res.dataplane.failures).toEqual([]);
    expect(res.scale.failures).toEqual([]);
    const ids: string[] = res.dataplane.candidates.map((c: { id: string }) => c.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'direct',
        'nft-rr-1',
        'nft-wrr-8',
        'nft-mh-8',
        'haproxy-1',
        'nginx-1',
        'haproxy-8',
        'nginx-8',
      ]),
    );
    for (const id of ids) {
      for (const mode of ['close', 'keepalive']) {
        const s = res.dataplane.samples.filter(
          (x: { candidate: string; mode: string }) => x.candidate === id && x.mode === mode,
        );
        expect(s.length, `${id} ${mode}`).toBe(1);
        expect(s[0].requests, `${id} ${mode}`).toBeGreaterThan(0);
        expect(s[0].errors, `${id} ${mode}`).toBe(0);
        // what the machine took from the sample, for the report's noise section
        for (const k of ['steal', 'foreignSec', 'idle'])
          expect(s[0][k], `${id} ${mode} ${k}`).toBeGreaterThanOrEqual(0);
      }
    }
    expect(res.settings.rt).toBe(50);
    expect(readFileSync(join(out, 'RESULTS.md'), 'utf8')).toMatch(/\*\*Measured cause\.\*\* .* ρ = /);
    expect(res.dataplane.bulk.map((b: { candidate: string }) => b.candidate).sort()).toEqual(
      ['direct', 'haproxy-1', 'nft-rr-1', 'nginx-1'].sort(),
    );
    expect(res.scale.samples.map((s: { candidate: string }) => s.candidate)).toContain('nft-rr-1-10k');
    expect(res.control.map((c: { services: number }) => c.services)).toEqual([1, 20]);
    for (const c of res.control) expect(c.weightMs.length).toBeGreaterThan(0);
    expect(res.notes).toEqual([]);
    const md = readFileSync(join(out, 'RESULTS.md'), 'utf8');
    expect(md).toContain('SMOKE RUN');
    expect(md).toContain('## Goals');
    for (const f of [
      'rps-close.svg',
      'rps-keepalive.svg',
      'cpu-close.svg',
      'bulk.svg',
      'weight-change.svg',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
      expect(md).toContain(`](${f})`);
    }
  });
});
