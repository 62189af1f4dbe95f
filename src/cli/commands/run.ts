// `floatlb run -f keepalived.conf`: the director daemon.
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_API_SOCKET } from '../../api/client.js';
import { startDaemon } from '../../daemon/daemon.js';
import { handleSignals } from '../../daemon/signals.js';
import { resolveIdentity } from '../../health/users.js';
import type { PlaneRequest } from '../../kernel/select-plane.js';
import { configureLogger } from '../../util/log.js';
import { UsageError } from '../errors.js';

interface RunArgs {
  file: string;
  'config-id'?: string;
  plane: PlaneRequest;
  'state-dir': string;
  'api-socket': string;
  'api-group'?: string;
  'api-mode': string;
  'api-listen'?: string;
  'status-listen'?: string;
  'api-token-file'?: string;
  'api-tls-cert'?: string;
  'api-tls-key'?: string;
  'pid-file'?: string;
  'flush-on-stop'?: boolean;
  'log-level'?: string;
  'log-pretty'?: boolean;
}

function parseListen(s: string, flag = '--api-listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(s);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new UsageError(`${flag} ${JSON.stringify(s)}: expected HOST:PORT`);
  return { host: (m[1] ?? m[2])!, port };
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Run the director: data plane, health checks, VRRP, API',
  builder: (y: Argv) =>
    y
      .option('file', {
        alias: 'f',
        type: 'string',
        default: '/etc/keepalived/keepalived.conf',
        describe: 'config file',
      })
      .option('config-id', {
        alias: 'i',
        type: 'string',
        describe: 'id for @id lines (default: short host name)',
      })
      .option('plane', { choices: ['auto', 'ipvs', 'nftables'] as const, default: 'auto' as PlaneRequest })
      .option('state-dir', { type: 'string', default: '/var/lib/floatlb', describe: 'admin state directory' })
      .option('api-socket', { type: 'string', default: DEFAULT_API_SOCKET })
      .option('api-group', { type: 'string', describe: 'group that may use the API socket (e.g. omm)' })
      .option('api-mode', { type: 'string', default: '660', describe: 'octal mode of the API socket' })
      .option('api-listen', { type: 'string', describe: 'also serve the API on HOST:PORT (needs a token)' })
      .option('status-listen', {
        type: 'string',
        describe: 'read-only status page on HOST:PORT (no token on loopback; the API token elsewhere)',
      })
      .option('api-token-file', { type: 'string', describe: 'bearer token for the TCP listener' })
      .option('api-tls-cert', { type: 'string' })
      .option('api-tls-key', { type: 'string' })
      .option('pid-file', { type: 'string' })
      .option('flush-on-stop', {
        type: 'boolean',
        describe: 'delete owned services on exit',
      }) as Argv<RunArgs>,
  handler: async (a) => {
    configureLogger({
      ...(a['log-level'] ? { level: a['log-level'] } : {}),
      ...(a['log-pretty'] ? { pretty: true } : {}),
    });
    if (!/^[0-7]{3,4}$/.test(a['api-mode']))
      throw new UsageError(`--api-mode ${a['api-mode']}: expected octal like 660`);
    if (Boolean(a['api-tls-cert']) !== Boolean(a['api-tls-key'])) {
      throw new UsageError('--api-tls-cert and --api-tls-key go together');
    }
    let gid: number | undefined;
    if (a['api-group']) {
      try {
        gid = resolveIdentity('root', a['api-group']).gid;
      } catch (e) {
        throw new UsageError(`--api-group: ${(e as Error).message}`);
      }
    }
    const daemon = await startDaemon({
      configFile: a.file,
      ...(a['config-id'] ? { configId: a['config-id'] } : {}),
      plane: a.plane,
      stateDir: a['state-dir'],
      apiSocket: a['api-socket'],
      ...(gid !== undefined ? { apiSocketGid: gid } : {}),
      apiSocketMode: Number.parseInt(a['api-mode'], 8),
      ...(a['api-listen'] ? { apiListen: parseListen(a['api-listen']) } : {}),
      ...(a['status-listen'] ? { statusListen: parseListen(a['status-listen'], '--status-listen') } : {}),
      ...(a['api-token-file'] ? { apiTokenFile: a['api-token-file'] } : {}),
      ...(a['api-tls-cert'] && a['api-tls-key']
        ? { apiTls: { cert: a['api-tls-cert'], key: a['api-tls-key'] } }
        : {}),
      ...(a['pid-file'] ? { pidFile: a['pid-file'] } : {}),
      ...(a['flush-on-stop'] ? { flushOnStop: true } : {}),
    });
    handleSignals(daemon);
    await new Promise<never>(() => {});
  },
};
