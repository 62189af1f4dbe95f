// Runs one VRRP instance from a JSON file (VrrpInstanceSettings, defaults
// filled as keepalived would) in the current network namespace:
//   ip netns exec NS node BUNDLE INSTANCE.json
// (test/host/vrrp-lab.ts bundles it). A test tool, not part of the product.
// State changes go to stdout as JSON lines; SIGTERM/SIGINT stop gracefully
// (priority 0), SIGUSR1 prints the counters.
import { readFileSync } from 'node:fs';
import { Rtnl } from '../../src/kernel/rtnetlink.js';
import { logger } from '../../src/util/log.js';
import { openKernelSpeaker } from '../../src/vrrp/open-speaker.js';
import { instanceSettings } from '../../src/vrrp/settings.js';

const log = logger('vrrp');

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), ...obj })}\n`);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: standalone INSTANCE.json');
  const settings = instanceSettings(JSON.parse(readFileSync(file, 'utf8')));
  const rtnl = new Rtnl();
  const { speaker, srcIp } = await openKernelSpeaker(settings, rtnl, {
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
