// no_accept as keepalived runs it: while an instance is master and holds its
// VIPs without accept mode (and is not the address owner), traffic to those
// VIPs is dropped. Each instance says what it wants dropped; the union is
// reconciled against the firewall one pass at a time, so a reload that
// changes a VIP list touches only the addresses that differ.
import type { VipFirewall } from '../kernel/vip-firewall.js';
import type { Ip } from '../kernel/vocabulary.js';
import { logger } from '../util/log.js';

const log = logger('vrrp');

export interface VipDrops {
  /** The addresses `owner` wants dropped now ([] for none); resolves once the firewall agrees. */
  set(owner: string, addrs: readonly Ip[]): Promise<void>;
}

export class VipDropRules implements VipDrops {
  private readonly owners = new Map<string, ReadonlySet<Ip>>();
  private pass: Promise<void> = Promise.resolve();
  /** Failed passes; the next set() tries again. */
  errors = 0;

  constructor(private readonly fw: VipFirewall) {}

  set(owner: string, addrs: readonly Ip[]): Promise<void> {
    if (addrs.length) this.owners.set(owner, new Set(addrs));
    else this.owners.delete(owner);
    this.pass = this.pass.then(() =>
      this.reconcile().catch((e: unknown) => {
        this.errors++;
        log.error({ err: (e as Error).message }, 'no_accept firewall rules could not be set');
      }),
    );
    return this.pass;
  }

  /** What every owner wants dropped. */
  desired(): Set<Ip> {
    const all = new Set<Ip>();
    for (const s of this.owners.values()) for (const a of s) all.add(a);
    return all;
  }

  private async reconcile(): Promise<void> {
    const want = this.desired();
    const have = new Set(await this.fw.list());
    const add = [...want].filter((a) => !have.has(a));
    const remove = [...have].filter((a) => !want.has(a));
    if (add.length || remove.length) await this.fw.change(add, remove);
  }
}
