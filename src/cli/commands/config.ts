// `floatlb config check -f FILE [--config-id ID] [--dump json] [--strict]`
import type { Argv, CommandModule } from 'yargs';
import { type ConfigResult, formatDiagnostic, loadConfig } from '../../config/index.js';
import { CliError } from '../errors.js';

interface CheckArgs {
  file: string;
  'config-id'?: string;
  dump?: string;
  strict?: boolean;
}

export interface CheckReport {
  /** 0 usable; 1 refused (an error, or any warning with strict). */
  exitCode: 0 | 1;
  /** Diagnostics, then the summary of keywords floatlb parses but does not act on. */
  lines: string[];
  /** The closing verdict line. */
  verdict: string;
}

/** The verdict of `config check` on a loaded file: what the command prints and how it exits. */
export function checkReport(file: string, result: ConfigResult, strict = false): CheckReport {
  // --strict makes every warning an error, and says so in each line.
  const lines = result.diagnostics.map((d) => formatDiagnostic(strict ? { ...d, severity: 'error' } : d));
  const unsupported = [...new Set(result.diagnostics.flatMap((d) => (d.unsupported ? [d.unsupported] : [])))];
  if (unsupported.length > 0) {
    const n = unsupported.length;
    lines.push(
      `${n} keyword${n === 1 ? '' : 's'} parsed but not acted on: ${unsupported.join(', ')} (see docs/compat.md)`,
    );
  }
  const nErrors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const errors = count(nErrors, 'error');
  const warnings = count(result.diagnostics.length - nErrors, 'warning');
  if (!result.ok) return { exitCode: 1, lines, verdict: `${file}: not usable (${errors}, ${warnings})` };
  if (strict && result.diagnostics.length > nErrors)
    return { exitCode: 1, lines, verdict: `${file}: ${warnings}, refused by --strict` };
  return { exitCode: 0, lines, verdict: `${file}: usable (${warnings})` };
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

const check: CommandModule<object, CheckArgs> = {
  command: 'check',
  describe: 'Check a keepalived.conf-style file; exit 0 when usable, 1 when not',
  builder: (y: Argv) =>
    y
      .option('file', { alias: 'f', type: 'string', demandOption: true, describe: 'configuration file' })
      .option('config-id', {
        alias: 'i',
        type: 'string',
        describe: 'id for @id lines (default: short host name)',
      })
      .option('dump', { type: 'string', choices: ['json'], describe: 'print the normalized model' })
      .option('strict', {
        type: 'boolean',
        describe: 'refuse on any warning too (every warning becomes an error)',
      }) as Argv<CheckArgs>,
  handler: async (args) => {
    const result = await loadConfig(args.file, args['config-id'] ? { configId: args['config-id'] } : {});
    const report = checkReport(args.file, result, args.strict ?? false);
    for (const line of report.lines) process.stderr.write(`${line}\n`);
    if (args.dump === 'json' && result.config)
      process.stdout.write(`${JSON.stringify(result.config, null, 2)}\n`);
    if (report.exitCode !== 0) throw new CliError(report.verdict, report.exitCode);
  },
};

export const configCommand: CommandModule = {
  command: 'config <command>',
  describe: 'Configuration tools',
  builder: (y: Argv) => y.command(check as unknown as CommandModule).demandCommand(1),
  handler: () => {},
};
