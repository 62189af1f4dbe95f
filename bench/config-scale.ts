// Parses and checks a generated keepalived.conf with 10,000 virtual servers
// of 8 real servers each, and compares with `keepalived -t` on the same file.
// Run: npm run build && node dist/bench/config-scale.js [virtualServers] [realServersPerVs]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfigSync } from '../src/config/index.js';

export function generateConfig(virtualServers: number, realPerVs: number): string {
  const out: string[] = ['global_defs {', '  router_id bench', '}'];
  for (let v = 0; v < virtualServers; v++) {
    const vip = `10.${(v >> 8) & 255}.${v & 255}.1`;
    out.push(
      `virtual_server ${vip} 80 {`,
      '  delay_loop 6',
      '  lb_algo wrr',
      '  lb_kind NAT',
      '  protocol TCP',
    );
    for (let r = 0; r < realPerVs; r++) {
      out.push(
        `  real_server 172.${16 + (v >> 12)}.${(v >> 4) & 255}.${((v & 15) << 4) + r + 1} 8080 {`,
        `    weight ${r + 1}`,
        '    TCP_CHECK {',
        '      connect_timeout 3',
        '      retry 2',
        '      delay_before_retry 2',
        '    }',
        '  }',
      );
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

/** Wall and CPU seconds of `keepalived -t` on file (CPU from bash's `times`, children included). */
function keepalivedSeconds(file: string, dir: string): { wall: number; cpu: number | null } | null {
  try {
    execFileSync('sh', ['-c', 'command -v keepalived'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const pids = `-p ${join(dir, 'k.pid')} -r ${join(dir, 'v.pid')} -c ${join(dir, 'c.pid')}`;
  // A non-zero verdict still measures the check.
  const script = `keepalived -t -f '${file}' ${pids} >/dev/null 2>&1; times`;
  const start = performance.now();
  const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
  const wall = (performance.now() - start) / 1000;
  // The second line of `times` is the children's user and system time: "0m1.234s 0m0.056s".
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(out.trim());
  const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : null;
  return { wall, cpu };
}

function main(): void {
  const virtualServers = Number(process.argv[2] ?? 10_000);
  const realPerVs = Number(process.argv[3] ?? 8);
  const dir = mkdtempSync(join(tmpdir(), 'floatlb-bench-config-'));
  const file = join(dir, 'scale.conf');
  const text = generateConfig(virtualServers, realPerVs);
  writeFileSync(file, text);
  const times: number[] = [];
  const cpu: number[] = [];
  let realServers = 0;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const r = loadConfigSync(file, { configId: 'bench' });
    times.push((performance.now() - start) / 1000);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1e6);
    if (!r.ok) throw new Error(`generated config has errors: ${r.diagnostics[0]?.message}`);
    realServers = r.config!.virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
  }
  // The first load is what a one-shot `floatlb config check` pays: code not yet optimized.
  const firstWall = times[0]!;
  const firstCpu = cpu[0]!;
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const median = times[2]!;
  const ka = keepalivedSeconds(file, dir);
  rmSync(dir, { recursive: true, force: true });
  const result = {
    virtualServers,
    realServers,
    bytes: text.length,
    lines: text.split('\n').length - 1,
    floatlbSeconds: { first: firstWall, min: times[0], median, max: times[4] },
    floatlbCpuSeconds: { first: firstCpu, min: cpu[0], median: cpu[2], max: cpu[4] },
    loadAverage: loadavg()[0],
    keepalivedSeconds: ka,
    ratioFloatlbToKeepalived: ka === null ? null : median / ka.wall,
    ratioFloatlbToKeepalivedCpu: ka?.cpu ? cpu[2]! / ka.cpu : null,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1]?.endsWith('config-scale.js')) main();
