// Generic netlink: family resolution through nlctrl, cached per socket.
import {
  type Attr,
  attrMap,
  decodeAttrs,
  decodeGenl,
  encodeGenl,
  NLM_F_DUMP,
  readStr,
  readU16,
  readU32,
  str,
} from './codec.js';
import { NETLINK_GENERIC, NetlinkSocket, type NetlinkSocketOptions } from './socket.js';

export const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const CTRL_ATTR_VERSION = 3;
const CTRL_ATTR_MAXATTR = 5;
const CTRL_ATTR_MCAST_GROUPS = 7;
const CTRL_ATTR_MCAST_GRP_NAME = 1;
const CTRL_ATTR_MCAST_GRP_ID = 2;

export interface GenlFamily {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly maxAttr: number;
  readonly multicastGroups: ReadonlyMap<string, number>;
}

/** Decodes a CTRL_CMD_NEWFAMILY reply. Pure. */
export function decodeFamily(payload: Buffer): GenlFamily {
  const g = decodeGenl(payload);
  const a = attrMap(g.attrs);
  const groups = new Map<string, number>();
  const mc = a.get(CTRL_ATTR_MCAST_GROUPS);
  if (mc) {
    for (const grp of decodeAttrs(mc)) {
      const ga = attrMap(grp.value);
      groups.set(readStr(ga.get(CTRL_ATTR_MCAST_GRP_NAME)), readU32(ga.get(CTRL_ATTR_MCAST_GRP_ID)));
    }
  }
  return {
    id: readU16(a.get(CTRL_ATTR_FAMILY_ID), 'family id'),
    name: readStr(a.get(CTRL_ATTR_FAMILY_NAME)),
    version: a.has(CTRL_ATTR_VERSION) ? readU32(a.get(CTRL_ATTR_VERSION)) : 0,
    maxAttr: a.has(CTRL_ATTR_MAXATTR) ? readU32(a.get(CTRL_ATTR_MAXATTR)) : 0,
    multicastGroups: groups,
  };
}

export class GenlSocket {
  readonly nl: NetlinkSocket;
  private readonly families = new Map<string, Promise<GenlFamily>>();

  constructor(opts: NetlinkSocketOptions = {}) {
    this.nl = new NetlinkSocket(NETLINK_GENERIC, opts);
  }

  /** The family's id and version; asked of the kernel once. */
  family(name: string): Promise<GenlFamily> {
    let f = this.families.get(name);
    if (!f) {
      f = this.nl
        .request({
          type: GENL_ID_CTRL,
          payload: encodeGenl(CTRL_CMD_GETFAMILY, 1, [str(CTRL_ATTR_FAMILY_NAME, name)]),
          what: `resolve generic netlink family ${name}`,
        })
        .then((msgs) => {
          if (!msgs[0]) throw new Error(`nlctrl returned nothing for ${name}`);
          return decodeFamily(msgs[0].payload);
        });
      f.catch(() => this.families.delete(name));
      this.families.set(name, f);
    }
    return f;
  }

  /** Dumps every registered family. */
  async listFamilies(): Promise<GenlFamily[]> {
    const msgs = await this.nl.request({
      type: GENL_ID_CTRL,
      flags: NLM_F_DUMP,
      payload: encodeGenl(CTRL_CMD_GETFAMILY, 1, []),
      what: 'list generic netlink families',
    });
    return msgs.map((m) => decodeFamily(m.payload));
  }

  /** Builds a request payload for a family command. */
  static payload(cmd: number, version: number, attrs: readonly Attr[]): Buffer {
    return encodeGenl(cmd, version, attrs);
  }

  close(): void {
    this.nl.close();
  }
}
