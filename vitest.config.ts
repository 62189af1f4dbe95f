import { defineConfig } from 'vitest/config';

// Tiers: unit (pure, no root), host (root, namespaces on this kernel),
// docker (root, a Docker engine), kernel (inside the lab VM, which has IPVS). test/run-tiers.mjs runs each.
//
// The VM suites that drive real traffic or wait for health checks to settle
// form the `vm-lab` project: the seed scenarios on IPVS (lab-lvs), real
// traffic through IPVS (ipvs-traffic) and the differential test against
// keepalived (keepalived-differential). The kernel tier runs them after the
// kernel project, in the same VM boot, one file at a time: under the VM's CPU
// emulation, another test file's load would show up in their measurements and
// in their health checks' timing (test/run-tiers.mjs).
const VM_LAB = [
  'test/kernel/lab-*.test.ts',
  'test/kernel/ipvs-traffic.test.ts',
  'test/kernel/keepalived-differential.test.ts',
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
        // A real Docker engine on this machine: the compose lab and the Debian
        // package. One file at a time: the compose files share subnets.
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts'],
          globalSetup: ['test/docker/engine-setup.ts'],
          poolOptions: { forks: { singleFork: true } },
          // No registry is reachable: testcontainers' reaper image cannot be
          // pulled, and every test tears its own project down.
          env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
          testTimeout: 300_000,
          hookTimeout: 900_000,
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
