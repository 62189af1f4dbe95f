/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is generated here */
// Is a large ~SEQ expansion linear? One virtual server whose real servers come
// from three nested loops, `~SEQ(A, 1, N/1000) ~SEQ(B, 1, 250) ~SEQ(C, 1, 4)
// real_server 10.${A}.${B}.${C} 80`: 20,000 and 200,000 real servers. Reported: CPU
// time of each parse (best of 3, sizes interleaved), the ratio of times and the
// ratio of real servers. Times in proportion to the work (ratio per work near 1)
// is linear; a super-linear path (a quadratic duplicate check, a growing
// string) would show as a ratio per work well above 1. The ratio is not a test
// verdict: on a loaded machine GC and caches make it wander, so it is measured
// here and recorded in docs/config.md.
// Run: npm run build && node dist/bench/config-seq-scale.js
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseConfigText } from '../src/config/index.js';

export function seqConfig(realServers: number): string {
  return [
    'virtual_server 192.168.0.1 80 {',
    '  lb_algo rr',
    '  lb_kind NAT',
    '  protocol TCP',
    `  ~SEQ(A, 1, ${Math.ceil(realServers / 1000)}) ~SEQ(B, 1, 250) ~SEQ(C, 1, 4) ` +
      'real_server 10.${A}.${B}.${C} 80',
    '}',
    '',
  ].join('\n');
}

export interface SeqRun {
  realServers: number;
  cpuMs: number;
}

/** CPU milliseconds of one parse, and the real servers it produced. */
export function measure(text: string): SeqRun {
  const t0 = process.cpuUsage();
  const r = parseConfigText(text, { file: '/bench/seq.conf', configId: 'bench', readFile: () => '' });
  const used = process.cpuUsage(t0);
  return {
    realServers: r.config?.virtualServers[0]?.realServers.length ?? 0,
    cpuMs: (used.user + used.system) / 1000,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const small = seqConfig(20_000);
  const large = seqConfig(200_000);
  const best = { small: Number.POSITIVE_INFINITY, large: Number.POSITIVE_INFINITY };
  let counts = { small: 0, large: 0 };
  measure(small); // warm-up: a one-shot check pays the compile too, but the ratio should not
  for (let round = 0; round < 3; round++) {
    const s = measure(small);
    const l = measure(large);
    best.small = Math.min(best.small, s.cpuMs);
    best.large = Math.min(best.large, l.cpuMs);
    counts = { small: s.realServers, large: l.realServers };
  }
  const work = counts.large / counts.small;
  const ratio = best.large / best.small;
  process.stdout.write(
    `${JSON.stringify({
      load: Number(loadavg()[0]!.toFixed(1)),
      smallRealServers: counts.small,
      largeRealServers: counts.large,
      smallCpuMs: Math.round(best.small),
      largeCpuMs: Math.round(best.large),
      workRatio: Number(work.toFixed(2)),
      timeRatio: Number(ratio.toFixed(2)),
      timeRatioPerWork: Number((ratio / work).toFixed(2)),
    })}\n`,
  );
}
