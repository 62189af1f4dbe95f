// One logger for the whole process. JSON by default; FLOATLB_LOG_PRETTY=1 or
// --log-pretty gives a human format.
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

let root: Logger | null = null;

export interface LogOptions {
  level?: string;
  pretty?: boolean;
  destination?: string;
}

export function configureLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.FLOATLB_LOG_LEVEL ?? 'info';
  const pretty = opts.pretty ?? process.env.FLOATLB_LOG_PRETTY === '1';
  if (pretty) {
    root = pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: opts.destination ?? 2, colorize: false } },
    });
  } else {
    root = pino({ level }, pino.destination({ dest: opts.destination ?? 2, sync: true }));
  }
  return root;
}

export function logger(component?: string): Logger {
  root ??= configureLogger();
  return component ? root.child({ component }) : root;
}
