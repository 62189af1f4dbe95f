// Checks a service or real server before anything reaches the kernel, so a
// bad name, address or port is refused with a message that says which.
import type { DataPlaneOp, DestSpec, Family, ServiceKey, ServiceSpec } from '../dataplane.js';
import { formatEndpoint, parseIp, SCHED_FLAGS_MASK, SCHEDULERS } from '../vocabulary.js';

/** A refused operation: `code` is an errno name (EINVAL for validation). */
export class IpvsError extends Error {
  readonly code: string;
  /** True when the kernel refused it; false when refused before any kernel call. */
  readonly fromKernel: boolean;
  constructor(message: string, code: string, fromKernel: boolean) {
    super(message);
    this.name = 'IpvsError';
    this.code = code;
    this.fromKernel = fromKernel;
  }
}

const invalid = (msg: string): IpvsError => new IpvsError(msg, 'EINVAL', false);

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(`${what}: port ${port} is not between 0 and 65535`);
  }
}

function checkAddress(address: string, family: Family, what: string): void {
  const ip = parseIp(address);
  if (!ip) throw invalid(`${what}: ${JSON.stringify(address)} is not an IP address`);
  // A plane compares addresses as text, so only the canonical spelling may reach it.
  if (ip !== address) throw invalid(`${what}: ${address} is not in canonical form (${ip})`);
  const f: Family = ip.includes(':') ? 'inet6' : 'inet';
  if (f !== family) {
    throw invalid(`${what}: ${address} is not an ${family === 'inet6' ? 'IPv6' : 'IPv4'} address`);
  }
}

/** How a service is named in messages, as ipvsadm lists it. */
export function describeKey(k: ServiceKey): string {
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}${k.family === 'inet6' ? ' IPv6' : ''}`;
  const addr = k.family === 'inet6' ? `[${k.address}]` : k.address;
  return `${k.protocol.toUpperCase()} ${addr}:${k.port}`;
}

export function describeDest(d: Pick<DestSpec, 'address' | 'port'>): string {
  return formatEndpoint(d.address, d.port);
}

export function validateKey(k: ServiceKey): void {
  if (k.family !== 'inet' && k.family !== 'inet6') throw invalid(`unknown address family ${k.family}`);
  if (k.kind === 'fwmark') {
    if (!Number.isInteger(k.fwmark) || k.fwmark < 1 || k.fwmark > 0xffffffff) {
      throw invalid(`fwmark ${k.fwmark} is not between 1 and 4294967295`);
    }
    return;
  }
  const what = `service ${k.protocol}`;
  if (!['tcp', 'udp', 'sctp'].includes(k.protocol)) throw invalid(`unknown protocol ${k.protocol}`);
  checkAddress(k.address, k.family, what);
  checkPort(k.port, `service ${describeKey(k)}`);
}

export function validateService(s: ServiceSpec): void {
  validateKey(s.key);
  const what = `service ${describeKey(s.key)}`;
  if (!(SCHEDULERS as readonly string[]).includes(s.scheduler)) {
    throw invalid(
      `${what}: unknown scheduler ${JSON.stringify(s.scheduler)} (known: ${SCHEDULERS.join(' ')})`,
    );
  }
  if (!Number.isInteger(s.flags) || (s.flags & ~SCHED_FLAGS_MASK) !== 0) {
    throw invalid(`${what}: flags 0x${s.flags.toString(16)} are not scheduler flags`);
  }
  const p = s.persistence;
  if (p) {
    if (!Number.isInteger(p.timeoutSec) || p.timeoutSec < 1 || p.timeoutSec > 0x7fffffff / 1000) {
      throw invalid(`${what}: persistence timeout ${p.timeoutSec} is out of range`);
    }
    const [min, max] = s.key.family === 'inet6' ? [1, 128] : [0, 32];
    if (!Number.isInteger(p.prefix) || p.prefix < min || p.prefix > max) {
      throw invalid(`${what}: persistence prefix length must be ${min}-${max}, not ${p.prefix}`);
    }
  }
}

export function validateDest(k: ServiceKey, d: DestSpec): void {
  const what = `real server ${describeDest(d)} of ${describeKey(k)}`;
  checkAddress(d.address, d.family, what);
  checkPort(d.port, what);
  if (!['nat', 'dr', 'tun'].includes(d.forwarding))
    throw invalid(`${what}: unknown forwarding ${d.forwarding}`);
  if (d.family !== k.family && d.forwarding !== 'tun') {
    throw invalid(`${what}: a real server of another address family needs tunnel forwarding`);
  }
  const u32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
  if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 65535) {
    throw invalid(`${what}: weight ${d.weight} is not between 0 and 65535`);
  }
  if (!u32(d.upperThreshold) || !u32(d.lowerThreshold)) throw invalid(`${what}: bad connection threshold`);
  if (d.upperThreshold !== 0 && d.lowerThreshold > d.upperThreshold) {
    throw invalid(`${what}: lower threshold ${d.lowerThreshold} exceeds upper ${d.upperThreshold}`);
  }
  const t = d.tunnel;
  if (t) {
    if (d.forwarding !== 'tun') throw invalid(`${what}: tunnel options need tunnel forwarding`);
    if (t.type === 'gue' && !t.port) throw invalid(`${what}: a gue tunnel needs a port`);
    if (t.type !== 'gue' && t.port) throw invalid(`${what}: only gue tunnels take a port`);
    if (t.port !== undefined) checkPort(t.port, `${what} tunnel`);
    if (t.type === 'gre' && t.csum === 'remcsum')
      throw invalid(`${what}: remote checksum needs a gue tunnel`);
    if (t.type === 'ipip' && t.csum && t.csum !== 'nocsum') {
      throw invalid(`${what}: ipip tunnels take no checksum option`);
    }
  }
}

export function validateOp(op: DataPlaneOp): void {
  switch (op.op) {
    case 'add-service':
    case 'update-service':
      validateService(op.service);
      break;
    case 'delete-service':
      validateKey(op.key);
      break;
    case 'add-dest':
    case 'update-dest':
      validateKey(op.key);
      validateDest(op.key, op.dest);
      break;
    case 'delete-dest': {
      validateKey(op.key);
      if (parseIp(op.dest.address) !== op.dest.address) {
        throw invalid(`real server ${JSON.stringify(op.dest.address)} is not a canonical IP address`);
      }
      checkPort(op.dest.port, `real server ${describeDest(op.dest)}`);
      break;
    }
  }
}

export function describeOp(op: DataPlaneOp): string {
  switch (op.op) {
    case 'add-service':
      return `add service ${describeKey(op.service.key)}`;
    case 'update-service':
      return `edit service ${describeKey(op.service.key)}`;
    case 'delete-service':
      return `delete service ${describeKey(op.key)}`;
    case 'add-dest':
      return `add real server ${describeDest(op.dest)} to ${describeKey(op.key)}`;
    case 'update-dest':
      return `edit real server ${describeDest(op.dest)} of ${describeKey(op.key)}`;
    case 'delete-dest':
      return `delete real server ${describeDest(op.dest)} from ${describeKey(op.key)}`;
  }
}

/** Turns a kernel errno for an operation into the message an operator needs. */
export function explainKernelError(op: DataPlaneOp, code: string, kernelMessage?: string): IpvsError {
  const what = describeOp(op);
  const isService = op.op.endsWith('-service');
  let why: string;
  if (code === 'EEXIST') why = isService ? 'service already exists' : 'real server already exists';
  else if (code === 'ESRCH') why = 'no such service';
  else if (code === 'ENOENT' && (op.op === 'add-service' || op.op === 'update-service')) {
    why = `scheduler ${op.service.scheduler} is not available in this kernel`;
  } else if (code === 'ENOENT') why = 'no such real server';
  else if (code === 'ERANGE') why = 'value out of range';
  else if (code === 'EPERM') why = 'permission denied (needs CAP_NET_ADMIN)';
  else why = code;
  return new IpvsError(`${what}: ${why}${kernelMessage ? ` (${kernelMessage})` : ''}`, code, true);
}
