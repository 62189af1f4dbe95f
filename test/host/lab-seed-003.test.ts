// npm run lab -- test seed-003 on this kernel (nftables plane).
import { describe, it } from 'vitest';
import { runScenario } from './lab-support.js';

describe('lab scenario seed-003', () => {
  it('passes every check of its seed', async () => {
    await runScenario('seed-003');
  }, 180_000);
});

describe('lab scenario seed-003-haproxy (the real HAProxy + keepalived, side by side)', () => {
  it('passes the same checks', async () => {
    await runScenario('seed-003-haproxy');
  }, 180_000);
});
