// `floatlb status` in a terminal: the status page's view as text.
import type { StatusView } from '../api/status-view.js';

const ago = (iso: string | null, now: Date) =>
  iso ? `${Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000))} s ago` : 'never';

export function formatStatus(v: StatusView, now = new Date()): string {
  const out: string[] = [`data plane: ${v.plane}${v.planeReason ? ` (${v.planeReason})` : ''}`];
  for (const e of v.lastReconcileErrors) out.push(`! the data plane refused: ${e}`);
  for (const r of v.refused) out.push(`REFUSED ${r.reason}`);
  if (!v.vrrp.length) out.push('VRRP: no instance configured');
  for (const i of v.vrrp) {
    const peer = i.peerPriority === null ? 'no peer heard' : `peer priority ${i.peerPriority}`;
    out.push(
      `VRRP ${i.name}: ${i.state} priority ${i.priority}, ${peer}, since ${ago(i.since, now)}${
        i.reason ? ` (${i.reason})` : ''
      }`,
    );
  }
  for (const s of v.services) {
    const facts = [
      `scheduler ${s.scheduler}${s.flags.length ? ` (${s.flags.join(',')})` : ''}`,
      `forwarding ${s.forwarding}`,
      s.persistence ? `persistence ${s.persistence}` : '',
      s.quorumUp ? '' : 'QUORUM LOST',
      s.sorryServerInUse ? `sorry server ${s.sorryServer} IN USE` : '',
      s.inKernel ? '' : 'NOT IN THE DATA PLANE',
    ].filter(Boolean);
    out.push(`${s.id}  ${facts.join(', ')}`);
    if (s.disagreement) out.push(`  ! ${s.disagreement}`);
    for (const r of s.servers) {
      const w = r.weightOverride !== null ? `w=${r.weightOverride} (override)` : `w=${r.configuredWeight}`;
      const conns =
        r.activeConns === null
          ? 'not in the data plane'
          : `active ${r.activeConns} inactive ${r.inactiveConns} persistent ${r.persistentConns}`;
      const c = r.check;
      const fail =
        c && !c.ok
          ? `failed: ${c.reason ?? 'no reason given'}`
          : c?.lastFailure
            ? `last failure: ${c.lastFailure.reason} (${ago(c.lastFailure.at, now)})`
            : '';
      out.push(
        `  ${r.id.padEnd(22)} ${r.state.padEnd(7)} ${w.padEnd(10)} kernel w=${r.kernelWeight ?? '-'}  ${conns}${
          fail ? `  ${fail}` : ''
        }`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
