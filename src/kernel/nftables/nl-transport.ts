// floatlb's own nf_tables transport for small incremental changes: one
// NETLINK_NETFILTER socket in the plane's namespace, one batch per change.
// It skips what makes libnftables slow on a big table: libnftables lists
// every table, chain and set into its cache before it sends even a
// one-element change. A refused batch is reported like nft reports it.
import { getSystemErrorMap } from 'node:util';
import { NETLINK_NETFILTER, NetlinkError, NetlinkSocket } from '../netlink/socket.js';
import {
  decodeGenId,
  msgPayload,
  msgType,
  NFNL_MSG_BATCH_BEGIN,
  NFNL_MSG_BATCH_END,
  NFNL_SUBSYS_NFTABLES,
  NFT_MSG_GETGEN,
  NFT_MSG_NEWGEN,
  type NftMsg,
  nfgen,
} from './nl-codec.js';

// nft prints strerror(); libuv's table words some of these differently.
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  EINVAL: 'Invalid argument',
  EBUSY: 'Device or resource busy',
  EPERM: 'Operation not permitted',
  ENOSPC: 'No space left on device',
  ENOMEM: 'Cannot allocate memory',
  EOPNOTSUPP: 'Operation not supported',
  ERANGE: 'Numerical result out of range',
  E2BIG: 'Argument list too long',
};

/** The words nft uses for an errno ("No such file or directory"). */
export function errnoText(errno: number): string {
  const e = getSystemErrorMap().get(-errno);
  return (e && STRERROR[e[0]]) ?? e?.[1] ?? `errno ${errno}`;
}

export class NftNetlink {
  private sock: NetlinkSocket | null = null;
  constructor(private readonly netns?: string) {}

  /**
   * Commits the messages as one transaction. Resolves when the kernel
   * acknowledged every one; rejects with the first refusal (nothing was
   * committed), as "Could not process rule: <errno text>" and the command.
   */
  async run(msgs: readonly NftMsg[]): Promise<void> {
    this.sock ??= new NetlinkSocket(NETLINK_NETFILTER, this.netns ? { netns: this.netns } : {});
    const marker = (type: number) => ({ type, payload: nfgen(0, NFNL_SUBSYS_NFTABLES) });
    const res = await this.sock.batch(
      marker(NFNL_MSG_BATCH_BEGIN),
      msgs.map((m) => ({ type: msgType(m.cmd), flags: m.flags, payload: msgPayload(m), what: m.what })),
      marker(NFNL_MSG_BATCH_END),
    );
    const refused = res.filter((r): r is NetlinkError => r instanceof NetlinkError);
    if (refused.length === 0) return;
    const lines = refused.map(
      (e) =>
        `Error: Could not process rule: ${errnoText(e.errno)}${e.kernelMessage ? ` (${e.kernelMessage})` : ''}\n` +
        `${e.message.slice(0, e.message.lastIndexOf(':'))}`,
    );
    throw new NftBatchError(lines.join('\n'), refused[0]!.errno);
  }

  /** The ruleset's generation id: it grows by one per committed transaction. */
  async generation(): Promise<number> {
    this.sock ??= new NetlinkSocket(NETLINK_NETFILTER, this.netns ? { netns: this.netns } : {});
    const replies = await this.sock.request({
      type: msgType(NFT_MSG_GETGEN),
      payload: nfgen(0),
      what: 'get generation',
    });
    const gen = replies.find((m) => m.type === msgType(NFT_MSG_NEWGEN));
    if (!gen) throw new Error('the kernel sent no nf_tables generation');
    return decodeGenId(gen.payload);
  }

  close(): void {
    this.sock?.close();
    this.sock = null;
  }
}

/** A batch the kernel refused: nft-style text and the first errno. */
export class NftBatchError extends Error {
  constructor(
    readonly text: string,
    readonly errno: number,
  ) {
    super(text);
    this.name = 'NftBatchError';
  }
}
