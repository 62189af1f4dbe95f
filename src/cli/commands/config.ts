// `floatlb config check -f FILE [--config-id ID] [--dump json] [--strict]`
import type { Argv, CommandModule } from 'yargs';
import { formatDiagnostic, loadConfig } from '../../config/index.js';
import { CliError } from '../errors.js';

interface CheckArgs {
  file: string;
  'config-id'?: string;
  dump?: string;
  strict?: boolean;
}

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
        describe: 'treat warnings as failures too, like keepalived -t',
      }) as Argv<CheckArgs>,
  handler: async (args) => {
    const result = await loadConfig(args.file, args['config-id'] ? { configId: args['config-id'] } : {});
    for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (args.dump === 'json' && result.config)
      process.stdout.write(`${JSON.stringify(result.config, null, 2)}\n`);
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = result.diagnostics.length - errors;
    if (!result.ok)
      throw new CliError(`${args.file}: not usable (${errors} errors, ${warnings} warnings)`, 1);
    if (args.strict && warnings > 0) throw new CliError(`${args.file}: ${warnings} warnings (--strict)`, 1);
  },
};

export const configCommand: CommandModule = {
  command: 'config <command>',
  describe: 'Configuration tools',
  builder: (y: Argv) => y.command(check as unknown as CommandModule).demandCommand(1),
  handler: () => {},
};
