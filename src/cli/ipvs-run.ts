// Executes a parsed `floatlb ipvs` command against the kernel.
import type { DataPlaneOp, ServiceState } from '../kernel/dataplane.js';
import { IpvsClient } from '../kernel/ipvs/client.js';
import { readConnTable } from '../kernel/ipvs/conn.js';
import { IpvsError } from '../kernel/ipvs/validate.js';
import { CliError, UsageError } from './errors.js';
import { type ParsedIpvs, parseIpvsArgs, splitRuleLine } from './ipvs-args.js';
import { formatConnections, formatDaemons, formatList, formatSave, formatTimeouts } from './ipvs-format.js';
import { IPVS_HELP } from './ipvs-help.js';
import { type Names, systemNames } from './ipvs-names.js';

export interface IpvsIo {
  write(s: string): void;
  readStdin(): Promise<string>;
}

/** The operation a parsed add/edit/delete command stands for. */
export function toOp(p: ParsedIpvs): DataPlaneOp | null {
  switch (p.command) {
    case 'add-service':
      return { op: 'add-service', service: p.service };
    case 'edit-service':
      return { op: 'update-service', service: p.service };
    case 'delete-service':
      return { op: 'delete-service', key: p.key };
    case 'add-server':
      return { op: 'add-dest', key: p.key, dest: p.dest };
    case 'edit-server':
      return { op: 'update-dest', key: p.key, dest: p.dest };
    case 'delete-server':
      return { op: 'delete-dest', key: p.key, dest: { address: p.dest.address, port: p.dest.port } };
    default:
      return null;
  }
}

/** Parses ipvsadm-save text into runs of operations separated by -C (clear). */
export function parseRules(text: string): Array<{ clear: true } | { ops: DataPlaneOp[] }> {
  const out: Array<{ clear: true } | { ops: DataPlaneOp[] }> = [];
  let cur: DataPlaneOp[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let p: ParsedIpvs;
    try {
      p = parseIpvsArgs(splitRuleLine(line));
    } catch (e) {
      throw new UsageError(`line ${i + 1}: ${(e as Error).message}`);
    }
    if (p.command === 'clear') {
      if (cur.length) out.push({ ops: cur });
      cur = [];
      out.push({ clear: true });
      return;
    }
    const op = toOp(p);
    if (!op) throw new UsageError(`line ${i + 1}: ${p.command} is not allowed in a restore`);
    cur.push(op);
  });
  if (cur.length) out.push({ ops: cur });
  return out;
}

function kernelFailure(e: unknown): Error {
  if (e instanceof IpvsError) return new CliError(e.message, 1);
  return e as Error;
}

export async function runIpvs(p: ParsedIpvs, io: IpvsIo): Promise<void> {
  if (p.command === 'help') {
    io.write(IPVS_HELP);
    return;
  }
  // Restore text is parsed in full before the socket opens: a bad line changes nothing.
  const rules = p.command === 'restore' ? parseRules(await io.readStdin()) : null;
  let client: IpvsClient;
  try {
    client = await IpvsClient.open(p.netns ? { netns: p.netns } : {});
  } catch (e) {
    if (p.netns && (e as { code?: string }).code === 'ENOENT' && !(e instanceof IpvsError)) {
      throw new CliError(`network namespace ${p.netns} does not exist`, 1);
    }
    throw kernelFailure(e);
  }
  try {
    await execute(client, p, io, rules);
  } catch (e) {
    throw kernelFailure(e);
  } finally {
    client.close();
  }
}

/** Without -n, the names ipvsadm would print for the table's addresses and ports. */
async function namesFor(svcs: readonly ServiceState[], numeric: boolean): Promise<Names | undefined> {
  if (numeric) return undefined;
  return systemNames(
    svcs.flatMap((s) => [...(s.key.kind === 'ip' ? [s.key.address] : []), ...s.dests.map((d) => d.address)]),
  );
}

async function execute(
  client: IpvsClient,
  p: ParsedIpvs,
  io: IpvsIo,
  rules: ReturnType<typeof parseRules> | null,
): Promise<void> {
  const op = toOp(p);
  if (op) return client.run(op);
  switch (p.command) {
    case 'list': {
      if (p.list.connections) {
        const conns = readConnTable(p.netns ? { netns: p.netns } : {});
        const addrs = conns.flatMap((c) => [c.client.address, c.virtual.address, c.dest.address]);
        const names = p.list.numeric ? undefined : await systemNames(addrs);
        io.write(
          formatConnections(conns, { persistentConn: p.list.persistentConn, ...(names ? { names } : {}) }),
        );
        return;
      }
      if (p.list.timeout || p.list.daemon) {
        if (p.list.timeout) io.write(formatTimeouts(await client.getTimeouts()));
        if (p.list.daemon) io.write(formatDaemons(await client.daemons()));
        return;
      }
      if (p.key) {
        const s = await client.service(p.key);
        if (!s) throw new CliError('No such service', 1);
        const one: ServiceState = { ...s, dests: await client.dests(p.key) };
        const names = await namesFor([one], p.list.numeric);
        io.write(formatList(null, [one], { ...p.list, ...(names ? { names } : {}) }));
        return;
      }
      const [info, svcs] = await Promise.all([client.info(), client.list()]);
      const names = await namesFor(svcs, p.list.numeric);
      io.write(formatList(info, svcs, { ...p.list, ...(names ? { names } : {}) }));
      return;
    }
    case 'save':
      io.write(formatSave(await client.list(), p.noSort));
      return;
    case 'restore': {
      // As ipvsadm-restore: clear the table, then add every rule.
      await client.flush();
      const failed: string[] = [];
      for (const part of rules ?? []) {
        if ('clear' in part) await client.flush();
        else for (const e of (await client.apply(part.ops)).errors) failed.push(e.error.message);
      }
      if (failed.length) throw new CliError(failed.join('\n'), 1);
      return;
    }
    case 'clear':
      return client.flush();
    case 'zero':
      return client.zero(p.key);
    case 'set-timeout':
      return client.setTimeouts(p.timeouts);
    case 'start-daemon':
      return client.startDaemon(p.daemon);
    case 'stop-daemon':
      return client.stopDaemon(p.state);
    default:
      throw new UsageError(`${p.command} is not run against the kernel`);
  }
}
