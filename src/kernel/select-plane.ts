// Which data plane to use: IPVS when the kernel has it, nftables otherwise;
// the config or a flag can force either. The choice carries its reason so
// status can show which plane is in use and why.
import { existsSync } from 'node:fs';
import type { DataPlane } from './dataplane.js';
import { type IpvsClientOptions, IpvsDataPlane } from './ipvs/client.js';
import { GenlSocket } from './netlink/genl.js';
import { NftablesDataPlane, type NftablesPlaneOptions } from './nftables/plane.js';

export type PlaneKind = 'ipvs' | 'nftables';
export type PlaneRequest = PlaneKind | 'auto';

export interface PlaneChoice {
  readonly kind: PlaneKind;
  readonly reason: string;
}

export interface DetectOptions {
  readonly netns?: string;
  /** Seams for tests. */
  readonly procIpVs?: string;
  readonly resolveIpvsFamily?: () => Promise<boolean>;
}

async function ipvsFamily(netns: string | undefined): Promise<boolean> {
  const genl = new GenlSocket(netns ? { netns } : {});
  try {
    await genl.family('IPVS');
    return true;
  } catch {
    return false;
  } finally {
    genl.close();
  }
}

/** IPVS if /proc/net/ip_vs exists or the generic netlink family "IPVS" resolves, else nftables. */
export async function detectPlane(o: DetectOptions = {}): Promise<PlaneChoice> {
  const proc = o.procIpVs ?? '/proc/net/ip_vs';
  if (existsSync(proc)) return { kind: 'ipvs', reason: `${proc} exists` };
  const resolve = o.resolveIpvsFamily ?? (() => ipvsFamily(o.netns));
  if (await resolve()) return { kind: 'ipvs', reason: 'generic netlink family IPVS resolves' };
  return { kind: 'nftables', reason: 'the kernel has no IPVS' };
}

export interface OpenPlaneOptions extends DetectOptions {
  readonly request?: PlaneRequest;
  readonly ipvs?: IpvsClientOptions;
  readonly nftables?: NftablesPlaneOptions;
}

export async function openDataPlane(
  o: OpenPlaneOptions = {},
): Promise<{ plane: DataPlane; choice: PlaneChoice }> {
  const req = o.request ?? 'auto';
  const choice: PlaneChoice =
    req === 'auto' ? await detectPlane(o) : { kind: req, reason: `forced by configuration (${req})` };
  const netns = o.netns ? { netns: o.netns } : {};
  const plane: DataPlane =
    choice.kind === 'ipvs'
      ? await IpvsDataPlane.open({ ...netns, ...o.ipvs })
      : await NftablesDataPlane.open({ ...netns, ...o.nftables });
  return { plane, choice };
}
