// vrrp_strict (global_defs) and strict_mode (vrrp_instance) as keepalived
// 2.2.7 applies them when it completes an instance: each conflicting setting
// is reported at its line and reset, as keepalived resets it; an instance
// without VIPs stops keepalived's VRRP process, so floatlb refuses the file.
// Unicast peers stay allowed: 2.2.7 checks for them before it has marked the
// instance unicast, so its check never fires.
import type { Position } from '../diagnostics.js';
import type { VrrpInstance } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

const OWNER = 255;

/** The line of the instance's own `keyword`, or the instance's name. */
function at(node: ConfigNode, keyword: string): Position {
  return (node.children ?? []).find((c) => c.name.text === keyword)?.name ?? node.name;
}

function has(node: ConfigNode, keyword: string): boolean {
  return (node.children ?? []).some((c) => c.name.text === keyword);
}

/** An instance keyword whose value (absent: on) keepalived reads as a boolean. */
function flag(r: Reader, node: ConfigNode, keyword: string): boolean | null {
  const c = [...(node.children ?? [])].reverse().find((n) => n.name.text === keyword);
  return c ? (r.bool(c) ?? null) : null;
}

function isLinkLocal6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

/**
 * Applies strict mode to a read instance. Returns false when the instance
 * cannot run (an error has been reported). `acceptSet`: accept or no_accept
 * was written in the instance.
 */
export function applyStrict(r: Reader, node: ConfigNode, v: VrrpInstance, acceptSet: boolean): boolean {
  const name = `(${v.name})`;
  const warn = (pos: Position, msg: string) => r.sink.warning(pos, `${name} ${msg}`);
  const v6 = v.virtualIpaddress[0]?.address.includes(':') ?? false;
  // Only a version written in the instance is reported; IPv6 runs version 3 either way.
  if (v6 && v.version === 2 && has(node, 'version'))
    warn(at(node, 'version'), 'cannot use IPv6 with VRRP version 2 in strict mode: using version 3');
  if (v6) v.version = 3;
  if (v.virtualIpaddress.length === 0) {
    r.sink.error(
      node.name,
      `${name} strict mode needs at least one virtual_ipaddress: keepalived's VRRP process exits on this`,
    );
    return false;
  }
  if ((v.state === 'MASTER') !== (v.priority === OWNER)) {
    warn(
      at(node, 'state'),
      `strict mode: state MASTER must match being the address owner (priority 255): starting as ${v.priority === OWNER ? 'MASTER' : 'BACKUP'}`,
    );
    v.state = v.priority === OWNER ? 'MASTER' : 'BACKUP';
  }
  if (v.authentication) {
    warn(at(node, 'authentication'), 'strict mode does not support authentication: ignored');
    v.authentication = null;
  }
  if (v6 && !isLinkLocal6(v.virtualIpaddress[0]!.address) && v.unicastPeer.length === 0)
    warn(at(node, 'virtual_ipaddress'), 'strict mode: the first IPv6 VIP address must be link local');
  if (v.preemptDelay > 0) {
    warn(at(node, 'preempt_delay'), 'preempt_delay is incompatible with strict mode: reset to 0');
    v.preemptDelay = 0;
  }
  if (has(node, 'down_timer_adverts'))
    warn(at(node, 'down_timer_adverts'), 'down_timer_adverts is incompatible with strict mode: reset');
  if (v.vmacXmitBase) {
    warn(at(node, 'vmac_xmit_base'), 'vmac_xmit_base is incompatible with strict mode: reset');
    v.vmacXmitBase = false;
  }
  // No gratuitous ARP/NA for a lower-priority master; an instance's own setting is reported.
  if (has(node, 'garp_lower_prio_repeat') && v.garp.lowerPrioRepeat !== 0)
    warn(at(node, 'garp_lower_prio_repeat'), 'strict mode requires no repeat gratuitous ARPs: reset to 0');
  if (has(node, 'garp_lower_prio_delay') && v.garp.lowerPrioDelay !== 0)
    warn(
      at(node, 'garp_lower_prio_delay'),
      'strict mode requires no repeat gratuitous ARP delay: reset to 0',
    );
  v.garp = { ...v.garp, lowerPrioRepeat: 0, lowerPrioDelay: 0 };
  if (flag(r, node, 'lower_prio_no_advert') === false)
    warn(at(node, 'lower_prio_no_advert'), 'strict mode requires lower_prio_no_advert: reset');
  if (flag(r, node, 'higher_prio_send_advert') === true)
    warn(
      at(node, 'higher_prio_send_advert'),
      'strict mode requires higher_prio_send_advert to be clear: reset',
    );
  v.adverts = { ...v.adverts, downTimerAdverts: 3, lowerPrioNoAdvert: true, higherPrioSendAdvert: false };
  // The owner always accepts; everyone else drops traffic to the VIPs unless accept is written,
  // and RFC 3768 (version 2) has no accept mode at all.
  if (!acceptSet) v.accept = v.priority === OWNER;
  else if (v.accept && v.priority !== OWNER && v.version === 2) {
    warn(
      at(node, 'accept'),
      'accept mode for VRRP version 2 does not comply with RFC 3768: no_accept applies',
    );
    v.accept = false;
  }
  return true;
}
