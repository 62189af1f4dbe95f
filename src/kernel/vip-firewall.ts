// Drops traffic to the VIPs of a master in no_accept mode, as keepalived
// 2.2.7 does with nftables: input to a VIP and output from one are dropped,
// except IPv6 neighbour discovery, so the segment still finds the address.
// floatlb's rules live in a table of its own (keepalived's is `keepalived`);
// only the sets' elements change, and the table goes when the last one does.
import { Nft, type NftOptions } from './nftables/nft.js';
import { canonicalIp, type Ip } from './vocabulary.js';

export const VIP_FIREWALL_TABLE = 'floatlb_vrrp';

export interface VipFirewall {
  /** The addresses whose traffic is dropped now. */
  list(): Promise<Ip[]>;
  /** Adds and removes addresses in one transaction. */
  change(add: readonly Ip[], remove: readonly Ip[]): Promise<void>;
}

const T = `inet ${VIP_FIREWALL_TABLE}`;
const ND = 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert }';
const setOf = (a: Ip): 'vips4' | 'vips6' => (a.includes(':') ? 'vips6' : 'vips4');

/** The table with its sets, chains and rules; elements are added apart. */
export function renderVipFirewallTable(): string {
  const chain = (name: string, hook: string, dir: 'daddr' | 'saddr') =>
    [
      `add chain ${T} ${name} { type filter hook ${hook} priority filter - 1; policy accept; }`,
      `add rule ${T} ${name} ip ${dir} @vips4 drop`,
      `add rule ${T} ${name} ip6 ${dir} @vips6 ${ND} accept`,
      `add rule ${T} ${name} ip6 ${dir} @vips6 drop`,
    ].join('\n');
  return [
    `add table ${T}`,
    `add set ${T} vips4 { type ipv4_addr; }`,
    `add set ${T} vips6 { type ipv6_addr; }`,
    chain('in', 'input', 'daddr'),
    chain('out', 'output', 'saddr'),
  ].join('\n');
}

/** `add element` / `delete element` lines, one per set touched. */
export function renderVipElements(op: 'add' | 'delete', addrs: readonly Ip[]): string[] {
  const out: string[] = [];
  for (const set of ['vips4', 'vips6'] as const) {
    const mine = addrs.filter((a) => setOf(a) === set);
    if (mine.length) out.push(`${op} element ${T} ${set} { ${mine.join(', ')} }`);
  }
  return out;
}

interface NftJsonItem {
  set?: { name: string; elem?: unknown[] };
  chain?: { name: string };
  rule?: { chain: string };
}

/** The elements and shape of the table as `nft -j list table` gives it; null if absent. */
export function parseVipFirewallTable(json: unknown): { elements: Ip[]; complete: boolean } | null {
  if (json === null) return null;
  const items = ((json as { nftables?: NftJsonItem[] }).nftables ?? []) as NftJsonItem[];
  const elements: Ip[] = [];
  const sets = new Set<string>();
  const rules = new Map<string, number>();
  for (const i of items) {
    if (i.set) {
      sets.add(i.set.name);
      for (const e of i.set.elem ?? []) if (typeof e === 'string') elements.push(canonicalIp(e));
    }
    if (i.rule) rules.set(i.rule.chain, (rules.get(i.rule.chain) ?? 0) + 1);
  }
  const complete = sets.has('vips4') && sets.has('vips6') && rules.get('in') === 3 && rules.get('out') === 3;
  return { elements, complete };
}

export class NftVipFirewall implements VipFirewall {
  private readonly nft: Nft;
  /** The table exists with floatlb's rules; learnt from the kernel on first use. */
  private ready = false;

  constructor(opts: NftOptions = {}) {
    this.nft = new Nft(opts);
  }

  async list(): Promise<Ip[]> {
    const t = parseVipFirewallTable(await this.nft.json(['list', 'table', 'inet', VIP_FIREWALL_TABLE]));
    // A table of this name missing a rule is rebuilt whole by the next change.
    this.ready = t?.complete ?? false;
    return t?.elements ?? [];
  }

  async change(add: readonly Ip[], remove: readonly Ip[]): Promise<void> {
    const have = await this.list();
    const left = new Set(have);
    for (const a of remove) left.delete(a);
    for (const a of add) left.add(a);
    if (left.size === 0) {
      if (have.length > 0 || this.ready) await this.nft.run(`delete table ${T}`);
      this.ready = false;
      return;
    }
    const lines: string[] = [];
    if (!this.ready) {
      // Absent, or not the shape floatlb writes: (re)built in the same transaction as its elements.
      if (have.length > 0 || (await this.exists())) lines.push(`delete table ${T}`);
      lines.push(renderVipFirewallTable(), ...renderVipElements('add', [...left]));
    } else {
      const present = new Set(have);
      lines.push(
        ...renderVipElements(
          'delete',
          remove.filter((a) => present.has(a)),
        ),
        ...renderVipElements(
          'add',
          add.filter((a) => !present.has(a)),
        ),
      );
    }
    if (lines.length) await this.nft.run(`${lines.join('\n')}\n`);
    this.ready = true;
  }

  private async exists(): Promise<boolean> {
    return (await this.nft.json(['list', 'table', 'inet', VIP_FIREWALL_TABLE])) !== null;
  }
}

/** In memory, as NftVipFirewall presents the kernel: the table exists while it holds an address. */
export class FakeVipFirewall implements VipFirewall {
  readonly dropped = new Set<Ip>();
  /** Every change, in order. */
  readonly log: string[] = [];

  async list(): Promise<Ip[]> {
    return [...this.dropped];
  }

  async change(add: readonly Ip[], remove: readonly Ip[]): Promise<void> {
    for (const a of remove) {
      this.dropped.delete(a);
      this.log.push(`delete ${a}`);
    }
    for (const a of add) {
      this.dropped.add(a);
      this.log.push(`add ${a}`);
    }
  }
}
