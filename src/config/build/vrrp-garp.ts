// Gratuitous ARP/NA timing and the advert knobs, read the same way in
// global_defs (vrrp_ prefix) and in vrrp_instance; and the garp_group block.
import type { AdvertKnobs, GarpGroup, GarpSettings, GlobalDefs } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader, Table } from '../values.js';

const INT_MAX = 2147483647;

export function garpTable(r: Reader, g: GarpSettings, prefix: string): Table {
  return {
    [`${prefix}garp_master_delay`]: (n) => {
      g.masterDelay = r.timer(n) ?? g.masterDelay;
    },
    [`${prefix}garp_master_repeat`]: (n) => {
      g.masterRepeat = r.int(n, 0, INT_MAX) ?? g.masterRepeat;
    },
    [`${prefix}garp_master_refresh`]: (n) => {
      g.masterRefresh = r.timer(n) ?? g.masterRefresh;
    },
    [`${prefix}garp_master_refresh_repeat`]: (n) => {
      g.masterRefreshRepeat = r.int(n, 0, INT_MAX) ?? g.masterRefreshRepeat;
    },
    [`${prefix}garp_lower_prio_delay`]: (n) => {
      g.lowerPrioDelay = r.timer(n) ?? g.lowerPrioDelay;
    },
    [`${prefix}garp_lower_prio_repeat`]: (n) => {
      g.lowerPrioRepeat = r.int(n, 0, INT_MAX) ?? g.lowerPrioRepeat;
    },
  };
}

/** An instance's copy of the global settings: the lower-priority ones default to the master ones. */
export function instanceGarp(g: GarpSettings): GarpSettings {
  return {
    ...g,
    lowerPrioDelay: g.lowerPrioDelay ?? g.masterDelay,
    lowerPrioRepeat: g.lowerPrioRepeat ?? g.masterRepeat,
  };
}

export const DEFAULT_ADVERT_KNOBS: AdvertKnobs = {
  lowerPrioNoAdvert: false,
  higherPrioSendAdvert: false,
  downTimerAdverts: 3,
  checkUnicastSrc: false,
};

export function advertTable(r: Reader, a: AdvertKnobs, prefix: string): Table {
  return {
    [`${prefix}lower_prio_no_advert`]: (n) => {
      a.lowerPrioNoAdvert = r.bool(n) ?? a.lowerPrioNoAdvert;
    },
    [`${prefix}higher_prio_send_advert`]: (n) => {
      a.higherPrioSendAdvert = r.bool(n) ?? a.higherPrioSendAdvert;
    },
    [`${prefix}down_timer_adverts`]: (n) => {
      a.downTimerAdverts = r.int(n, 1, 100) ?? a.downTimerAdverts;
    },
    [`${prefix}check_unicast_src`]: () => {
      a.checkUnicastSrc = true;
    },
  };
}

/** global_defs only: vrrp_garp_interval, vrrp_gna_interval and vrrp_min_garp. */
export function globalGarpTable(r: Reader, g: GlobalDefs): Table {
  return {
    vrrp_garp_interval: (n) => {
      g.vrrpGarpInterval = r.timer(n) ?? g.vrrpGarpInterval;
    },
    vrrp_gna_interval: (n) => {
      g.vrrpGnaInterval = r.timer(n) ?? g.vrrpGnaInterval;
    },
    vrrp_min_garp: (n) => {
      if (!r.bool(n)) return;
      // As keepalived: one frame, no second round, but what was set before stays.
      const d = g.garp;
      if (d.masterRepeat === 5) d.masterRepeat = 1;
      if (d.masterRefreshRepeat === 1) d.masterRefreshRepeat = 0;
      if (d.masterDelay === 5000) d.masterDelay = 0;
    },
  };
}

/** garp_group { garp_interval T  gna_interval T  interface IF | interfaces { IF ... } } */
export function readGarpGroup(r: Reader, node: ConfigNode, taken: ReadonlySet<string>): GarpGroup | null {
  if (!r.needsBlock(node)) return null;
  const g: GarpGroup = {
    garpInterval: 0,
    gnaInterval: 0,
    interfaces: [],
    source: { file: node.name.file, line: node.name.line },
  };
  let timed = false;
  const addIf = (tok: { text: string } & Parameters<Reader['dropped']>[0]) => {
    if (taken.has(tok.text) || g.interfaces.includes(tok.text))
      r.dropped(tok, `garp_group already given for ${tok.text}: ignored, as keepalived does`);
    else g.interfaces.push(tok.text);
  };
  r.block(
    node,
    {
      garp_interval: (n) => {
        const v = r.timer(n);
        if (v !== null) [g.garpInterval, timed] = [v, true];
      },
      gna_interval: (n) => {
        const v = r.timer(n);
        if (v !== null) [g.gnaInterval, timed] = [v, true];
      },
      interface: (n) => {
        const t = r.arg(n, 0, 'an interface');
        if (t) addIf(t);
      },
      interfaces: (n) => {
        for (const t of r.words(n)) addIf(t);
      },
    },
    'garp_group',
  );
  if (!timed)
    return r.dropped(
      node.name,
      'garp_group has no garp_interval or gna_interval: dropped, as keepalived does',
    );
  return g;
}
