// Pure: what a reload does to each VRRP instance. An instance is matched by
// name. Only what cannot change under a running speaker (its socket, its
// identity on the wire) restarts it; everything else applies in place, so a
// reload never moves a VIP that its settings do not move.
import type { Vip, VrrpInstanceSettings } from './settings.js';

export type InstancePlan =
  | { readonly name: string; readonly action: 'keep' }
  | { readonly name: string; readonly action: 'add' }
  | { readonly name: string; readonly action: 'remove' }
  | { readonly name: string; readonly action: 'restart'; readonly reasons: readonly string[] }
  | {
      readonly name: string;
      readonly action: 'update';
      /** The settings that changed, by name. */
      readonly changes: readonly string[];
      readonly vipsAdded: readonly Vip[];
      readonly vipsRemoved: readonly Vip[];
    };

const vipKey = (v: Vip, ifname: string) =>
  `${v.address}/${v.prefixLen}%${v.ifname ?? ifname}#${v.label ?? ''}`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Why an instance must restart: each a sentence for the log; empty when it need not. */
export function restartReasons(a: VrrpInstanceSettings, b: VrrpInstanceSettings): string[] {
  const r: string[] = [];
  if (a.interface !== b.interface) r.push(`interface ${a.interface} -> ${b.interface}`);
  if (a.vrid !== b.vrid) r.push(`virtual_router_id ${a.vrid} -> ${b.vrid}`);
  if (a.version !== b.version) r.push(`version ${a.version} -> ${b.version}`);
  if (a.family !== b.family) r.push(`address family IPv${a.family} -> IPv${b.family}`);
  const mode = (s: VrrpInstanceSettings) => (s.unicastPeers.length ? 'unicast' : 'multicast');
  if (mode(a) !== mode(b)) r.push(`${mode(a)} -> ${mode(b)}`);
  else if (!same(a.unicastPeers, b.unicastPeers)) r.push('unicast_peer list changed');
  if (!same(a.vmac, b.vmac)) r.push(`use_vmac ${a.vmac?.name ?? 'off'} -> ${b.vmac?.name ?? 'off'}`);
  if (a.unicastTtl !== b.unicastTtl) r.push(`unicast_ttl ${a.unicastTtl ?? 255} -> ${b.unicastTtl ?? 255}`);
  if (a.mcastGroup !== b.mcastGroup)
    r.push(`multicast group ${a.mcastGroup ?? '(standard)'} -> ${b.mcastGroup ?? '(standard)'}`);
  if (a.srcIp !== b.srcIp)
    r.push(`source address ${a.srcIp ?? '(from the interface)'} -> ${b.srcIp ?? '(from the interface)'}`);
  return r;
}

/** Settings that apply in place, compared one by one. */
const IN_PLACE: ReadonlyArray<keyof VrrpInstanceSettings> = [
  'priority',
  'advertIntMs',
  'authPass',
  'unicastPeerTtl',
  'preempt',
  'preemptDelayMs',
  'accept',
  'garp',
  'garpPace',
  'downTimerAdverts',
  'lowerPrioNoAdvert',
  'higherPrioSendAdvert',
  'notify',
  'initialState',
  'syncGroup',
  'skipCheckAdvAddr',
  'lowerPrioNoAdvert',
  'routes',
  'rules',
];

export function planInstance(a: VrrpInstanceSettings, b: VrrpInstanceSettings): InstancePlan {
  const reasons = restartReasons(a, b);
  if (reasons.length) return { name: b.name, action: 'restart', reasons };
  // Excluded VIPs are held like the others; only adverts tell them apart.
  const held = (s: VrrpInstanceSettings) => [...s.vips, ...(s.excludedVips ?? [])];
  const before = new Map(held(a).map((v) => [vipKey(v, a.interface), v]));
  const after = new Map(held(b).map((v) => [vipKey(v, b.interface), v]));
  const vipsAdded = [...after].filter(([k]) => !before.has(k)).map(([, v]) => v);
  const vipsRemoved = [...before].filter(([k]) => !after.has(k)).map(([, v]) => v);
  const changes: string[] = IN_PLACE.filter((k) => !same(a[k], b[k]));
  if (vipsAdded.length || vipsRemoved.length || !same(held(a), held(b))) changes.unshift('vips');
  if (!changes.length) return { name: b.name, action: 'keep' };
  return { name: b.name, action: 'update', changes, vipsAdded, vipsRemoved };
}

/** One plan per instance of either side, in the new config's order, removed ones first. */
export function planInstances(
  before: readonly VrrpInstanceSettings[],
  after: readonly VrrpInstanceSettings[],
): InstancePlan[] {
  const old = new Map(before.map((s) => [s.name, s]));
  const names = new Set(after.map((s) => s.name));
  return [
    ...before
      .filter((s) => !names.has(s.name))
      .map((s): InstancePlan => ({ name: s.name, action: 'remove' })),
    ...after.map((s): InstancePlan => {
      const prev = old.get(s.name);
      return prev ? planInstance(prev, s) : { name: s.name, action: 'add' };
    }),
  ];
}
