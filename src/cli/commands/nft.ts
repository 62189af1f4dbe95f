// `floatlb nft list -n`: the nftables plane in ipvsadm's `-Ln` layout, read
// back from the kernel's table (not from a daemon's memory).
import type { CommandModule } from 'yargs';
import { listNftablesPlane } from '../../kernel/nftables/index.js';
import { formatList } from '../ipvs-format.js';

interface NftArgs {
  action: string;
  numeric?: boolean;
  stats?: boolean;
  thresholds?: boolean;
  netns?: string;
}

export const nftCommand: CommandModule<object, NftArgs> = {
  command: 'nft <action>',
  describe: 'Show the nftables data plane as ipvsadm -Ln does',
  builder: (y) =>
    y
      .positional('action', { type: 'string', choices: ['list'], demandOption: true })
      .option('numeric', { alias: 'n', type: 'boolean', describe: 'numeric output (always numeric)' })
      .option('stats', { type: 'boolean', describe: 'connection counters per service and real server' })
      .option('thresholds', { type: 'boolean', describe: 'upper and lower connection thresholds' })
      .option('netns', { type: 'string', describe: 'read the table in this network namespace' }),
  handler: async (argv) => {
    const svcs = await listNftablesPlane(argv.netns ? { netns: argv.netns } : {});
    process.stdout.write('nftables plane (tables inet floatlb and floatlb_s*)\n');
    process.stdout.write(formatList(null, svcs, { stats: argv.stats, thresholds: argv.thresholds }));
  },
};
