/// <reference lib="dom" />
// The status page in the browser: renders the status view pushed by the
// server-sent event stream, draws sparklines, and, in admin mode, calls the
// same API routes as `floatlb rs`. Bundled by esbuild into one script.
import type { RatePoint, StatusEvent } from '../events.js';
import type { ServerView, ServiceView, StatusView, VrrpView } from '../status-view.js';

type View = StatusView & { canAdmin: boolean };

const $ = (id: string) => document.getElementById(id)!;
const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const word = (w: string) => `<span class="st ${esc(w)}">${esc(w)}</span>`;
const num = (n: number | null | undefined) => (n === null || n === undefined ? '–' : String(n));
const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleTimeString() : '–');

function rate(n: number | undefined, unit: string): string {
  if (n === undefined) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M${unit}`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k${unit}`;
  return `${Math.round(n * 10) / 10} ${unit}`;
}

/** A hand-drawn SVG sparkline of one column of a rate series. */
function spark(points: readonly RatePoint[], col: 1 | 2, label: string): string {
  const w = 120;
  const h = 24;
  if (points.length < 2)
    return `<svg width="${w}" height="${h}" role="img" aria-label="${label}: no data"></svg>`;
  const t0 = points[0]![0];
  const span = Math.max(1, points.at(-1)![0] - t0);
  const max = Math.max(1e-9, ...points.map((p) => p[col]));
  const d = points
    .map(
      (p, i) =>
        `${i ? 'L' : 'M'}${(((p[0] - t0) / span) * w).toFixed(1)},${(h - 1 - (p[col] / max) * (h - 2)).toFixed(1)}`,
    )
    .join('');
  const last = points.at(-1)![col];
  return `<svg width="${w}" height="${h}" role="img" aria-label="${esc(label)}: now ${esc(rate(last, col === 1 ? 'conn/s' : 'B/s'))}, peak ${esc(rate(max, col === 1 ? 'conn/s' : 'B/s'))}"><path d="${d}" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>`;
}

function vrrpTable(v: readonly VrrpView[]): string {
  if (!v.length) return '<p class="muted">No VRRP instance configured.</p>';
  const rows = v
    .map(
      (i) => `<tr data-vrrp="${esc(i.name)}"><td>${esc(i.name)}</td><td class="role">${word(i.state)}</td>
<td class="n">${i.priority}</td><td class="n">${num(i.peerPriority)}</td><td>${esc(i.master ?? '–')}</td>
<td>${esc(i.vips.join(' '))}</td><td class="opt">${esc(i.interface)} / ${i.vrid}</td>
<td>${time(i.since)}</td><td>${esc(i.reason)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Instance</th><th>Role</th><th>Priority</th><th>Peer priority</th><th>Master</th>
<th>VIPs</th><th class="opt">Interface / VRID</th><th>Since</th><th>Last transition reason</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function adminCell(s: ServiceView, r: ServerView): string {
  const key = `${s.id}|${r.id}`;
  const btn = (act: string, label: string) =>
    `<button type="button" data-act="${act}" data-key="${esc(`${act}|${key}`)}" data-vs="${esc(s.id)}" data-srv="${esc(r.id)}" data-vip="${esc(s.vip ?? '')}" data-node="${esc(r.address)}" aria-label="${esc(`${label} ${r.id}`)}">${label}</button>`;
  return `<td class="admin-cell"><span class="admin">${r.drained ? btn('undrain', 'Restore') : btn('drain', 'Drain')}${btn('weight', 'Weight')}${
    s.vip ? (r.link === 'linked' ? btn('unlink', 'Unlink') : btn('link', 'Link')) : ''
  }</span></td>`;
}

function serverRow(s: ServiceView, r: ServerView): string {
  const last = r.rates.at(-1);
  const c = r.check;
  const reason = c
    ? c.ok
      ? c.lastFailure
        ? `last failure: ${c.lastFailure.reason}`
        : ''
      : (c.reason ?? 'failed')
    : '';
  const weight =
    r.weightOverride !== null
      ? `${r.weightOverride} (override; ${r.configuredWeight})`
      : String(r.configuredWeight);
  return `<tr data-server="${esc(`${s.id}|${r.id}`)}" class="${r.state === 'DOWN' ? 'down' : ''}">
<th scope="row">${esc(r.id)}</th><td class="state">${word(r.state)}</td>
<td>${c ? `${c.ok ? 'ok' : 'failed'} ${time(c.at)}` : '–'}</td><td class="n opt">${c ? `${c.latencyMs} ms` : '–'}</td>
<td>${esc(reason)}</td><td class="n">${esc(weight)}</td><td class="n kw">${num(r.kernelWeight)}</td>
<td>${esc(r.link)}${r.drained ? ', drained' : ''}</td>
<td class="n">${num(r.activeConns)}</td><td class="n opt">${num(r.inactiveConns)}</td><td class="n opt">${num(r.persistentConns)}</td>
<td class="n">${rate(last?.[1], 'conn/s')}</td><td class="n opt">${rate(last?.[2], 'B/s')}</td>
<td class="opt">${spark(r.rates, 1, `connections per second of ${r.id}`)}</td>${adminCell(s, r)}</tr>`;
}

function serviceBlock(s: ServiceView): string {
  const facts = [
    `scheduler ${s.scheduler}${s.flags.length ? ` (${s.flags.join(', ')})` : ''}`,
    `forwarding ${s.forwarding}`,
    s.persistence ? `persistence ${s.persistence}` : 'not persistent',
    `plane ${s.plane}${s.inKernel ? '' : ' (NOT IN THE DATA PLANE)'}`,
    s.quorumUp ? 'quorum up' : 'QUORUM LOST',
    s.sorryServer ? `sorry server ${s.sorryServer}${s.sorryServerInUse ? ' IN USE' : ' idle'}` : '',
    s.activeStandby ? 'active/standby' : '',
  ].filter(Boolean);
  const last = s.rates.at(-1);
  return `<section data-service="${esc(s.id)}"><h2>${esc(s.id)}</h2>
<p>${facts.map(esc).join(' · ')}${s.disagreement ? `<br><strong>! ${esc(s.disagreement)}</strong>` : ''}</p>
<p>${spark(s.rates, 1, `connections per second of ${s.id}`)} ${rate(last?.[1], 'conn/s')}
${spark(s.rates, 2, `bytes per second of ${s.id}`)} ${rate(last?.[2], 'B/s')}</p>
<div class="wrap"><table><thead><tr><th>Real server</th><th>State</th><th>Last check</th><th class="opt">Latency</th>
<th>Reason</th><th>Weight</th><th>Kernel weight</th><th>Admin</th><th>Active</th><th class="opt">Inactive</th>
<th class="opt">Persistent</th><th>Conn/s</th><th class="opt">Bytes/s</th><th class="opt">Last minutes</th><th class="admin-cell"><span class="admin">Actions</span></th></tr></thead>
<tbody>${s.servers.map((r) => serverRow(s, r)).join('')}</tbody></table></div></section>`;
}

function eventItem(e: StatusEvent): string {
  return `<li data-kind="${esc(e.kind)}"><time datetime="${esc(e.at)}">${time(e.at)}</time> [${esc(e.kind)}] ${esc(e.text)}${e.who ? ` (by ${esc(e.who)})` : ''}</li>`;
}

function render(v: View): void {
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.key;
  const down = v.services.flatMap((s) => s.servers).filter((r) => r.state === 'DOWN').length;
  $('summary').textContent =
    `plane ${v.plane} · ${v.services.length} services · ${down} real servers DOWN · ${time(v.generatedAt)}`;
  $('vrrp').innerHTML =
    vrrpTable(v.vrrp) + v.refused.map((r) => `<p><strong>REFUSED</strong> ${esc(r.reason)}</p>`).join('');
  $('services').innerHTML = v.services.map(serviceBlock).join('');
  $('events').innerHTML = [...v.events].reverse().map(eventItem).join('');
  $('admin-toggle').hidden = !v.canAdmin;
  if (focused) document.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

async function act(b: HTMLElement): Promise<void> {
  const { act: a, vs, srv, vip, node } = b.dataset;
  let path: string;
  let body: Record<string, unknown> | undefined;
  if (a === 'link' || a === 'unlink') {
    path = `/v1/pools/${encodeURIComponent(vip!)}/members/${encodeURIComponent(node!)}/${a}`;
  } else if (a === 'weight') {
    const w = prompt(`Weight override for ${srv} (0-65535, empty to clear)`);
    if (w === null) return;
    path = '/v1/realservers/weight';
    // an operator's action: reply once it is on disk too
    body = { virtualServer: vs, server: srv, weight: w.trim() === '' ? null : Number(w), durable: true };
  } else {
    path = `/v1/realservers/${a}`;
    body = { virtualServer: vs, server: srv, durable: true };
  }
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-floatlb-admin': '1' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  $('conn').textContent = res.ok ? `${a} ${srv}: done` : `${a} ${srv}: refused (${res.status})`;
}

function start(): void {
  const toggle = $('admin-toggle');
  toggle.addEventListener('click', () => {
    const on = document.body.classList.toggle('admin-on');
    toggle.setAttribute('aria-pressed', String(on));
    toggle.textContent = `Admin mode: ${on ? 'on' : 'off'}`;
  });
  $('services').addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLElement>('button[data-act]');
    if (b && document.body.classList.contains('admin-on')) void act(b);
  });
  const es = new EventSource('/v1/events/stream');
  es.addEventListener('status', (ev) => {
    $('conn').textContent = 'live';
    render(JSON.parse((ev as MessageEvent<string>).data) as View);
  });
  es.onerror = () => {
    $('conn').textContent = 'connection lost: retrying';
  };
}

start();
