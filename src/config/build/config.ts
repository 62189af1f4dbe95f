// Top level: dispatches blocks, then checks references between them.
import type { DiagnosticSink } from '../diagnostics.js';
import type { FloatlbConfig, VrrpInstance } from '../model.js';
import type { ConfigNode } from '../parser.js';
import { append, type Environment, Reader, type Table, type TableObserver } from '../values.js';
import { checkGroupFamilies } from './families.js';
import { defaultGlobalDefs, readGlobalDefs } from './global.js';
import { readVirtualServer } from './lvs.js';
import { readSsl } from './ssl.js';
import { readTrackFile } from './track-file.js';
import { readTrackProcess } from './track-process.js';
import { readVrrpInstance } from './vrrp.js';
import { readGarpGroup } from './vrrp-garp.js';
import { readRoutes, readRules } from './vrrp-routes.js';
import { readSyncGroup, readVrrpScript } from './vrrp-track.js';
import { readVips } from './vrrp-vips.js';
import { readVirtualServerGroup } from './vsg.js';

/** Top-level keywords keepalived knows that floatlb accepts without modelling. */
const IGNORED_TOP = [
  'linkbeat_interfaces',
  'bfd_instance',
  'net_namespace',
  'net_namespace_ipvs',
  'namespace_with_ipsets',
  'instance',
  'use_pid_dir',
  'linkbeat_use_polling',
  'child_wait_time',
];

const DEFERRED = new Set(['global_defs', 'vrrp_instance', 'vrrp_sync_group']);

/**
 * Takes top-level blocks one at a time. LVS blocks are built at once so their
 * tokens can be dropped; VRRP blocks wait for finish(), because they inherit
 * from global_defs wherever it sits in the file.
 */
export class ConfigBuilder {
  readonly config: FloatlbConfig = {
    globalDefs: defaultGlobalDefs(),
    vrrpScripts: [],
    vrrpTrackFiles: [],
    vrrpTrackProcesses: [],
    vrrpInstances: [],
    vrrpSyncGroups: [],
    garpGroups: [],
    virtualServerGroups: [],
    virtualServers: [],
    staticIpaddress: [],
    staticRoutes: [],
    staticRules: [],
    ssl: null,
  };
  private readonly r: Reader;
  private readonly deferred: ConfigNode[] = [];
  private readonly table: Table;

  constructor(
    private readonly sink: DiagnosticSink,
    env: Environment | null = null,
    observer: TableObserver | null = null,
  ) {
    const r = new Reader(sink, env, observer);
    this.r = r;
    const config = this.config;
    const g = config.globalDefs;
    const push =
      <T>(list: T[], read: (n: ConfigNode) => T | null) =>
      (n: ConfigNode): void => {
        const v = read(n);
        if (v) list.push(v);
      };
    this.table = {
      global_defs: () => {},
      vrrp_script: push(config.vrrpScripts, (n) => readVrrpScript(r, n)),
      track_file: push(config.vrrpTrackFiles, (n) => readTrackFile(r, n)),
      vrrp_track_file: push(config.vrrpTrackFiles, (n) => readTrackFile(r, n)),
      vrrp_track_process: push(config.vrrpTrackProcesses, (n) => readTrackProcess(r, n)),
      vrrp_instance: push(config.vrrpInstances, (n) =>
        readVrrpInstance(r, n, {
          version: g.vrrpVersion,
          garp: g.garp,
          adverts: g.adverts,
          defaultInterface: g.defaultInterface,
          strict: g.vrrpStrict,
        }),
      ),
      vrrp_sync_group: push(config.vrrpSyncGroups, (n) => readSyncGroup(r, n)),
      virtual_server_group: push(config.virtualServerGroups, (n) => readVirtualServerGroup(r, n)),
      virtual_server: push(config.virtualServers, (n) => readVirtualServer(r, n)),
      static_ipaddress: (n) => append(config.staticIpaddress, readVips(r, n)),
      static_routes: (n) => {
        checkRoutes(r, n);
        append(config.staticRoutes, readRoutes(r, n));
      },
      static_rules: (n) => append(config.staticRules, readRules(r, n)),
      SSL: (n) => {
        config.ssl = readSsl(r, n, config.ssl);
      },
      garp_group: push(config.garpGroups, (n) =>
        readGarpGroup(r, n, new Set(config.garpGroups.flatMap((x) => x.interfaces))),
      ),
    };
    for (const k of IGNORED_TOP) this.table[k] = () => {};
  }

  add(node: ConfigNode): void {
    this.r.observer?.('the top level', Object.keys(this.table));
    if (DEFERRED.has(node.name.text)) this.deferred.push(node);
    else this.r.statement(node, this.table, 'the top level');
  }

  finish(): FloatlbConfig {
    const { r, deferred, config } = this;
    for (const n of deferred) if (n.name.text === 'global_defs') readGlobalDefs(r, n, config.globalDefs);
    for (const n of deferred) r.statement(n, this.table, 'the top level');
    for (const n of deferred) {
      if (n.name.text !== 'vrrp_instance' || !n.children) continue;
      for (const c of n.children) if (c.name.text === 'virtual_routes') checkRoutes(r, c);
    }
    crossCheck(config, deferred, this.sink);
    return config;
  }
}

export function buildConfig(
  tree: ConfigNode[],
  sink: DiagnosticSink,
  env: Environment | null = null,
): FloatlbConfig {
  const b = new ConfigBuilder(sink, env);
  for (const n of tree) b.add(n);
  return b.finish();
}

/** keepalived warns about routes it cannot track and deprecated words; so do we. */
function checkRoutes(r: Reader, node: ConfigNode): void {
  for (const c of node.children ?? []) {
    const words = [c.name, ...c.args];
    const or = words.find((w) => w.text === 'or');
    const gw = words.find((w) => w.text === 'gw');
    if (or) r.sink.warning(or, `"or" for routes is deprecated: use "nexthop"`);
    if (gw) r.sink.warning(gw, `"gw" for routes is deprecated: use "via"`);
    if (!words.some((w) => w.text === 'dev')) {
      r.sink.warning(c.name, `route has no dev: keepalived cannot track it`);
    }
  }
}

/**
 * keepalived's rule for instances sharing a VRID: unicast and multicast are
 * separate spaces; two unicast instances clash only on one interface, from one
 * source address, with a peer in common; two multicast ones clash on one
 * interface. `keepalived -t` reports a clash like any warning, and its VRRP
 * process then refuses to start; floatlb warns and runs the first instance only.
 */
function dropVridClashes(list: VrrpInstance[], sink: DiagnosticSink): VrrpInstance[] {
  const family = (v: VrrpInstance) =>
    (v.virtualIpaddress[0]?.address ?? v.unicastPeer[0]?.address ?? '').includes(':') ? 6 : 4;
  const sharePeer = (a: VrrpInstance, b: VrrpInstance) =>
    a.unicastPeer.some((p) => b.unicastPeer.some((q) => q.address === p.address));
  const byKey = new Map<string, VrrpInstance[]>();
  const kept: VrrpInstance[] = [];
  for (const v of list) {
    const key = `${v.virtualRouterId}/${family(v)}/${v.interface}/${v.unicastPeer.length > 0}`;
    const same = byKey.get(key) ?? [];
    const unicast = v.unicastPeer.length > 0;
    const clash = same.find(
      (o) =>
        !unicast ||
        (sharePeer(v, o) && (!v.unicastSrcIp || !o.unicastSrcIp || v.unicastSrcIp === o.unicastSrcIp)),
    );
    if (clash) {
      const how = unicast ? 'from the same source to a common peer' : 'over multicast';
      sink.warning(
        { file: v.source.file, line: v.source.line, column: 1 },
        `vrrp_instance ${v.name} uses virtual_router_id ${v.virtualRouterId} on ${v.interface} ${how}, ` +
          `as ${clash.name} does: keepalived's VRRP process refuses to start with this; floatlb drops ${v.name}`,
      );
      continue;
    }
    same.push(v);
    byKey.set(key, same);
    kept.push(v);
  }
  return kept;
}

function crossCheck(config: FloatlbConfig, tree: ConfigNode[], sink: DiagnosticSink): void {
  const nodeFor = (kind: string, i: number): ConfigNode =>
    tree.filter((n) => n.name.text === kind && n.children !== null)[i] ?? tree[0]!;
  const scripts = new Set(config.vrrpScripts.map((s) => s.name));
  const trackFiles = new Set(config.vrrpTrackFiles.map((f) => f.name));
  const trackProcs = new Set(config.vrrpTrackProcesses.map((p) => p.name));
  const instances = new Map<string, number>();
  config.vrrpInstances = dropVridClashes(config.vrrpInstances, sink);
  config.vrrpInstances.forEach((v, i) => {
    const at = { file: v.source.file, line: v.source.line, column: 1 };
    if (instances.has(v.name)) sink.warning(at, `vrrp_instance ${v.name} is defined twice`);
    instances.set(v.name, i);
    for (const t of v.trackScript) {
      if (!scripts.has(t.name))
        sink.warning(at, `vrrp_instance ${v.name} tracks unknown vrrp_script ${t.name}`);
    }
    for (const t of v.trackFile) {
      if (!trackFiles.has(t.name))
        sink.warning(at, `vrrp_instance ${v.name} tracks unknown track_file ${t.name}`);
    }
    for (const t of v.trackProcess) {
      if (!trackProcs.has(t.name))
        sink.warning(at, `vrrp_instance ${v.name} tracks unknown vrrp_track_process ${t.name}`);
    }
  });
  config.vrrpSyncGroups.forEach((s, i) => {
    const node = nodeFor('vrrp_sync_group', i);
    for (const member of s.group) {
      if (!instances.has(member))
        sink.warning(node.name, `vrrp_sync_group ${s.name}: no vrrp_instance ${member}`);
    }
    for (const t of s.trackProcess) {
      if (!trackProcs.has(t.name))
        sink.warning(node.name, `vrrp_sync_group ${s.name} tracks unknown vrrp_track_process ${t.name}`);
    }
  });
  const groups = new Map(config.virtualServerGroups.map((g) => [g.name, g]));
  const seen = new Set<string>();
  for (const vs of config.virtualServers) {
    const at = { file: vs.source.file, line: vs.source.line, column: 1 };
    const t = vs.target;
    const group = t.kind === 'group' ? groups.get(t.group) : undefined;
    if (t.kind === 'group' && !group)
      sink.warning(at, `virtual_server_group ${t.group} is not defined: the virtual server has no addresses`);
    if (group) checkGroupFamilies(sink, vs, group);
    const key =
      t.kind === 'ip'
        ? `${t.address}|${t.port}|${vs.protocol}`
        : t.kind === 'fwmark'
          ? `fwm${t.fwmark}|${t.family}`
          : `g|${t.group}|${vs.protocol}`;
    if (seen.has(key)) sink.warning(at, `virtual_server ${key.replace(/\|/g, ' ')} is defined twice`);
    seen.add(key);
    for (const rs of vs.realServers) {
      // keepalived reports a FILE_CHECK naming no track_file and drops that checker.
      rs.checkers = rs.checkers.filter((c) => {
        if (c.type !== 'FILE_CHECK' || trackFiles.has(c.trackFile)) return true;
        sink.warning(
          at,
          `real_server ${rs.address}: FILE_CHECK track_file ${c.trackFile} is not defined: the checker is dropped, as keepalived does`,
        );
        return false;
      });
    }
  }
}
