// Runs one VRRP instance from a JSON file (VrrpInstanceSettings, defaults
// filled as keepalived would) in the current network namespace:
//   ip netns exec NS node dist/src/vrrp/standalone.js INSTANCE.json
// State changes go to stdout as JSON lines; SIGTERM/SIGINT stop gracefully
// (priority 0), SIGUSR1 prints the counters.
import { readFileSync } from 'node:fs';
import { FrameSender } from '../kernel/garp.js';
import { Rtnl } from '../kernel/rtnetlink.js';
import { VrrpSocket } from '../kernel/vrrp-socket.js';
import { logger } from '../util/log.js';
import { discoverSrcIp, RtnlVipManager } from './rtnl-vips.js';
import { instanceSettings } from './settings.js';
import { VrrpSpeaker } from './speaker.js';

const log = logger('vrrp');

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), ...obj })}\n`);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: standalone INSTANCE.json');
  const settings = instanceSettings(JSON.parse(readFileSync(file, 'utf8')));
  const rtnl = new Rtnl();
  const srcIp =
    settings.srcIp ?? (await discoverSrcIp(rtnl, settings.interface, settings.family, settings.vips));
  const transport = VrrpSocket.open({
    family: settings.family,
    ifname: settings.interface,
    srcIp,
    unicastPeers: settings.unicastPeers,
  });
  const frames = FrameSender.open({ ifname: settings.interface });
  const speaker = new VrrpSpeaker(settings, {
    transport,
    frames,
    vips: new RtnlVipManager(rtnl, settings.interface),
    srcIp,
    onState: (state, priority) => emit({ state, priority }),
  });
  const stats = () => ({ ...speaker.stats, machine: speaker.machine.stats });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await speaker.stop();
    emit({ stats: stats() });
    rtnl.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('SIGUSR1', () => emit({ stats: stats() }));
  speaker.start();
  emit({ started: settings.name, srcIp });
}

main().catch((e) => {
  log.fatal({ err: e }, 'VRRP standalone failed');
  process.exit(1);
});
