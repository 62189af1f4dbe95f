// SIGHUP reloads; SIGTERM and SIGINT stop.
import { logger } from '../util/log.js';
import type { Daemon } from './daemon.js';

const log = logger('daemon');

export function handleSignals(d: Daemon): void {
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading');
    d.reload().catch((e: unknown) => log.error({ err: (e as Error).message }, 'reload refused'));
  });
  const stop = (sig: string) => {
    log.info(`${sig}: stopping`);
    d.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
