// The machine settings the VRRP machine unit tests start from.
import type { MachineConfig } from '../../../src/vrrp/machine.js';

export const base: MachineConfig = {
  name: 'VI_1',
  version: 3,
  vrid: 51,
  priority: 100,
  advertIntMs: 1000,
  initialState: 'BACKUP',
  preempt: true,
  preemptDelayMs: 0,
  primaryIp: '10.0.0.2',
  accept: false,
};
