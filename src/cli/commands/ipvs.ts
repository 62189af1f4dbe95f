// `floatlb ipvs`: an ipvsadm equivalent. Takes ipvsadm's own spellings
// (-A -t VIP:80 -s rr, -Ln --stats, -S, -R) and word forms (list -n, save,
// restore, add, edit, delete, clear, zero). --netns NAME programs a namespace.
import type { CommandModule } from 'yargs';
import { parseIpvsArgs } from '../ipvs-args.js';
import { runIpvs } from '../ipvs-run.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const ipvsCommand: CommandModule<object, { args?: string[] }> = {
  command: 'ipvs [args..]',
  describe: 'Program and list IPVS as ipvsadm does',
  builder: (y) =>
    y
      .usage("$0 ipvs ARGS: ipvsadm's -L -n, -S, -R, -A/-E/-D, -a/-e/-d, -C, -Z")
      .help(false)
      .parserConfiguration({ 'unknown-options-as-args': true, 'short-option-groups': false })
      .strict(false)
      .positional('args', { type: 'string', array: true, describe: 'ipvsadm-style arguments' }),
  handler: async (argv) => {
    const parsed = parseIpvsArgs((argv.args ?? []).map(String));
    await runIpvs(parsed, { write: (s) => process.stdout.write(s), readStdin });
  },
};
