import { defineConfig } from 'vitest/config';

// Three tiers: unit (pure, no root), host (root, namespaces on this kernel),
// kernel (inside the lab VM, which has IPVS). test/run-tiers.mjs runs each.
//
// The traffic-heavy VM tests (real traffic through IPVS, the director on
// IPVS, the seed scenarios, connection sync) take tens of minutes under the
// VM's CPU emulation on a 2-core machine and do not yet pass reliably there.
// They form the `vm-lab` project (`npm run test:vm-lab`), outside `npm test`.
const VM_LAB = [
  'test/kernel/ipvs-traffic.test.ts',
  'test/kernel/director-ipvs.test.ts',
  'test/kernel/lab-*.test.ts',
  'test/kernel/vrrp-connsync.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'host',
          include: ['test/host/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'kernel',
          include: ['test/kernel/**/*.test.ts'],
          exclude: VM_LAB,
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'vm-lab',
          include: VM_LAB,
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
