// Operator commands over the control API: status, rs, reload.
import type { Argv, CommandModule } from 'yargs';
import { ApiUnreachable, callApi, DEFAULT_API_SOCKET } from '../../api/client.js';
import { CliError } from '../errors.js';

interface ApiArgs {
  'api-socket': string;
  'api-url'?: string;
  'api-token-file'?: string;
  json?: boolean;
}

const apiOptions = <T>(y: Argv<T>) =>
  y
    .option('api-socket', {
      type: 'string',
      default: DEFAULT_API_SOCKET,
      describe: "the director's unix socket",
    })
    .option('api-url', { type: 'string', describe: 'http(s)://HOST:PORT of a TCP listener instead' })
    .option('api-token-file', { type: 'string', describe: 'bearer token for --api-url' })
    .option('json', { type: 'boolean', describe: 'print the raw JSON answer' });

async function call(a: ApiArgs, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const { readFileSync } = await import('node:fs');
  const token = a['api-token-file'] ? readFileSync(a['api-token-file'], 'utf8').trim() : undefined;
  try {
    const r = await callApi(
      { target: a['api-url'] ?? a['api-socket'], ...(token ? { token } : {}) },
      method,
      path,
      body,
    );
    if (r.status >= 400) {
      const msg = (r.body as { error?: string })?.error ?? JSON.stringify(r.body);
      throw new CliError(`director refused (${r.status}): ${msg}`, 1);
    }
    return r.body;
  } catch (e) {
    if (e instanceof ApiUnreachable) throw new CliError(e.message, 3);
    throw e;
  }
}

interface PoolView {
  vip: string | null;
  id: string;
  activeStandby: boolean;
  active: string | null;
  quorumUp: boolean;
  sorryServerInUse: boolean;
  disagreement: string | null;
  members: Array<{ node: string; port: number; link: string; healthy: boolean; weight: number | null }>;
}

function printStatus(s: {
  plane: string;
  planeReason: string | null;
  counters: Record<string, number>;
  refusedServices?: Array<{ service: string; reason: string }>;
  pools: PoolView[];
}): void {
  const out: string[] = [
    `data plane: ${s.plane}`,
    `reconciles: ${s.counters.reconciles}, operations: ${s.counters.opsApplied}`,
  ];
  for (const r of s.refusedServices ?? []) out.push(`REFUSED ${r.reason}`);
  for (const p of s.pools) {
    const flags = [
      p.activeStandby ? 'active/standby' : '',
      p.quorumUp ? '' : 'QUORUM LOST',
      p.sorryServerInUse ? 'sorry server' : '',
    ]
      .filter(Boolean)
      .join(', ');
    out.push(`${p.id}${flags ? ` (${flags})` : ''}`);
    if (p.disagreement) out.push(`  ! ${p.disagreement}`);
    for (const m of p.members) {
      const w = m.weight === null ? 'out' : `w=${m.weight}`;
      out.push(`  ${m.node}:${m.port}  ${m.link.padEnd(8)} ${m.healthy ? 'healthy' : 'FAILING'}  ${w}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

const status: CommandModule<object, ApiArgs> = {
  command: 'status',
  describe: "Show the director's data plane, pools, links and health",
  builder: (y) => apiOptions(y) as Argv<ApiArgs>,
  handler: async (a) => {
    const s = await call(a, 'GET', '/v1/status');
    if (a.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    else printStatus(s as Parameters<typeof printStatus>[0]);
  },
};

const reload: CommandModule<object, ApiArgs> = {
  command: 'reload',
  describe: 'Re-read the config and apply only the difference',
  builder: (y) => apiOptions(y) as Argv<ApiArgs>,
  handler: async (a) => {
    const r = (await call(a, 'POST', '/v1/reload')) as { operations: number };
    process.stdout.write(a.json ? `${JSON.stringify(r)}\n` : `reloaded: ${r.operations} operations\n`);
  },
};

type RsArgs = ApiArgs & { action: string; a: string; b: string; weight?: string };

const rs: CommandModule<object, RsArgs> = {
  command: 'rs <action> <a> <b> [weight]',
  describe: 'Link, unlink, drain, undrain or weight a real server',
  builder: (y) =>
    apiOptions(y)
      .usage('$0 rs link|unlink VIP NODE\n$0 rs drain|undrain VS SERVER\n$0 rs weight VS SERVER N|clear')
      .positional('action', { choices: ['link', 'unlink', 'drain', 'undrain', 'weight'] as const })
      .positional('a', { type: 'string', describe: 'VIP, or virtual server id like tcp/10.0.0.1:80' })
      .positional('b', { type: 'string', describe: 'node address, or real server ADDRESS:PORT' })
      .positional('weight', { type: 'string' }) as unknown as Argv<RsArgs>,
  handler: async (x) => {
    let r: unknown;
    if (x.action === 'link' || x.action === 'unlink') {
      r = await call(
        x,
        'POST',
        `/v1/pools/${encodeURIComponent(x.a)}/members/${encodeURIComponent(x.b)}/${x.action}`,
      );
    } else {
      const body: Record<string, unknown> = { virtualServer: x.a, server: x.b };
      if (x.action === 'weight') {
        if (x.weight === undefined) throw new CliError('rs weight needs a weight (0-65535) or "clear"', 2);
        body.weight = x.weight === 'clear' ? null : Number(x.weight);
      }
      r = await call(x, 'POST', `/v1/realservers/${x.action}`, body);
    }
    process.stdout.write(`${JSON.stringify(r)}\n`);
  },
};

export const controlCommands = [status, reload, rs] as unknown as CommandModule[];
