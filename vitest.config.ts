import { defineConfig } from 'vitest/config';

// Three tiers: unit (pure, no root), host (root, namespaces on this kernel),
// kernel (inside the lab VM, which has IPVS). test/run-tiers.mjs runs each.
//
// Two VM suites form the `vm-lab` project (`npm run test:vm-lab`), outside
// `npm test`, because they do not yet pass reliably under the VM's CPU
// emulation: the seed scenarios on IPVS (lab-lvs; one director-pair recovery
// is intermittent, docs/lab.md) and real traffic through IPVS (ipvs-traffic;
// one-armed NAT hung a connection for 120 s in one clean run, docs/ipvs.md).
const VM_LAB = ['test/kernel/lab-*.test.ts', 'test/kernel/ipvs-traffic.test.ts'];

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
