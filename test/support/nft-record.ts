// Records what an nftables plane sends: its scripts and its own netlink
// batches, each still sent to the kernel. Tests judge the messages.
import type { NftMsg } from '../../src/kernel/nftables/nl-codec.js';
import type { NftablesDataPlane } from '../../src/kernel/nftables/plane.js';

export function recordNft(
  plane: NftablesDataPlane,
  into: { scripts?: string[]; batches?: NftMsg[][] },
): void {
  const { scripts, batches } = into;
  if (scripts) {
    const run = plane.nft.run.bind(plane.nft);
    plane.nft.run = (s: string) => {
      scripts.push(s);
      return run(s);
    };
  }
  if (batches) {
    const runBatch = plane.nft.runBatch.bind(plane.nft);
    plane.nft.runBatch = (m: readonly NftMsg[]) => {
      batches.push([...m]);
      return runBatch(m);
    };
  }
}
