#!/usr/bin/env node
// floatlb command line. Each command lives in src/cli/commands/<name>.ts and
// exports a yargs CommandModule; register it in the list below.
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { configCommand } from './commands/config.js';
import { controlCommands } from './commands/control.js';
import { ipvsCommand } from './commands/ipvs.js';
import { nftCommand } from './commands/nft.js';
import { runCommand } from './commands/run.js';
import { UsageError } from './errors.js';
import { programVersion } from './version.js';

const commands: CommandModule[] = [
  configCommand,
  ipvsCommand as CommandModule,
  runCommand as CommandModule,
  ...controlCommands,
  nftCommand as CommandModule,
];

function helpWidth(): number {
  const cols = process.stdout.columns || Number(process.env.COLUMNS) || 100;
  return Math.max(40, Math.min(110, cols));
}

export async function main(argv: string[]): Promise<void> {
  const cli = yargs(argv)
    .scriptName('floatlb')
    .strict()
    .demandCommand(1, 'Name a command; see floatlb --help.')
    .recommendCommands()
    .option('log-level', { type: 'string', describe: 'pino log level', default: 'info' })
    .option('log-pretty', { type: 'boolean', describe: 'human-readable logs instead of JSON' })
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    })
    .version(programVersion())
    .help()
    // Word-wrapped at the terminal's width (COLUMNS when not a terminal); the
    // bundle takes cliui's word-aware build (package.json: bundle).
    .wrap(helpWidth());
  for (const c of commands) cli.command(c);
  await cli.parseAsync();
}

main(hideBin(process.argv)).catch((err: unknown) => {
  const e = err as Error & { exitCode?: number };
  process.stderr.write(`floatlb: ${e.message}\n`);
  process.exitCode = e.exitCode ?? 1;
});
