// Every keyword of the table written without its value, in a minimal valid
// block of its kind, judged by keepalived -t and floatlb's config check (the
// verdict differential's bench). This is how src/config/build/missing-value.ts
// was measured; test/host/config-bare-keywords.test.ts keeps it true.
// Run: npm run build && node dist/bench/bare-keywords.js   (root)
import { pathToFileURL } from 'node:url';
import { KEYWORD_ROWS } from '../src/config/compat.js';
import { type Disagreement, VerdictBench } from './config-verdicts.js';

const vi = (body: string) =>
  `vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n priority 100\n${body}\n` +
  ' virtual_ipaddress {\n  10.0.0.100/24\n }\n}\n';
const vs = (vsBody: string, rsBody: string, checker = ' TCP_CHECK {\n }') =>
  `virtual_server 10.0.0.100 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n${vsBody}\n` +
  ` real_server 10.0.1.1 80 {\n${rsBody}\n${checker}\n }\n}\n`;
const url = (k: string) => ` HTTP_GET {\n  url {\n   path /\n   ${k}\n  }\n }`;
const withUrl = (type: string, k: string) =>
  ` ${type} {\n  url {\n   path /\n   status_code 200\n  }\n  ${k}\n }`;

/** A minimal valid file with keyword k written in a block of context's kind. */
const TEMPLATES: Record<string, (k: string) => string> = {
  top: (k) => `${k}\n${vi('')}`,
  global_defs: (k) => `global_defs {\n ${k}\n}\n${vi('')}`,
  vrrp_instance: (k) => vi(` ${k}`),
  vrrp_sync_group: (k) => `${vi('')}vrrp_sync_group G {\n group {\n  VI_1\n }\n ${k}\n}\n`,
  vrrp_script: (k) => `vrrp_script S {\n script /bin/true\n ${k}\n}\n${vi('')}`,
  vrrp_track_process: (k) => `vrrp_track_process P {\n process sshd\n ${k}\n}\n${vi('')}`,
  track_file: (k) => `track_file F {\n file /tmp/x\n ${k}\n}\n${vi('')}`,
  vrrp_track_file: (k) => `vrrp_track_file F {\n file /tmp/x\n ${k}\n}\n${vi('')}`,
  authentication: (k) => vi(` authentication {\n  auth_type PASS\n  auth_pass x\n  ${k}\n }`),
  virtual_server: (k) => vs(` ${k}`, '  weight 1'),
  real_server: (k) => vs('', `  ${k}`),
  checker: (k) => vs('', '', ` TCP_CHECK {\n  ${k}\n }`),
  HTTP_GET: (k) => vs('', '', withUrl('HTTP_GET', k)),
  SSL_GET: (k) => vs('', '', withUrl('SSL_GET', k)),
  url: (k) => vs('', '', url(k)),
  MISC_CHECK: (k) => vs('', '', ` MISC_CHECK {\n  misc_path /bin/true\n  ${k}\n }`),
  UDP_CHECK: (k) => vs('', '', ` UDP_CHECK {\n  ${k}\n }`),
  DNS_CHECK: (k) => vs('', '', ` DNS_CHECK {\n  ${k}\n }`),
  SMTP_CHECK: (k) => vs('', '', ` SMTP_CHECK {\n  ${k}\n }`),
  FILE_CHECK: (k) =>
    `track_file F {\n file /tmp/x\n}\n${vs('', '', ` FILE_CHECK {\n  track_file F\n  ${k}\n }`)}`,
};

/** The rows that have a template, each as a file. */
export function bareKeywordFiles(): Array<{ context: string; keyword: string; text: string }> {
  return KEYWORD_ROWS.flatMap(([context, keyword]) => {
    const t = TEMPLATES[context];
    return t ? [{ context, keyword, text: t(keyword) }] : [];
  });
}

/** Both verdicts on every bare keyword; yields to the event loop between files. */
export async function probeBareKeywords(nsName: string): Promise<Disagreement[]> {
  const bench = new VerdictBench(nsName);
  const out: Disagreement[] = [];
  try {
    for (const f of bareKeywordFiles()) {
      out.push(
        bench.judge({ category: `${f.context} ${f.keyword}`, text: f.text, extra: {} }, 'bare-keyword'),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    bench.close();
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await probeBareKeywords(process.env.FLOATLB_VERDICT_NS ?? `fltbare-${process.pid}`);
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  for (const r of results.filter((x) => x.outcome !== 'agree'))
    process.stdout.write(`${r.outcome.padEnd(18)} ${r.category}: keepalived rc ${r.keepalived.rc}\n`);
  process.stdout.write(
    `${results.length} keywords: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}\n`,
  );
}
