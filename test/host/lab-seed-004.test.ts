// npm run lab -- test seed-004 on this kernel (nftables plane).
import { describe, it } from 'vitest';
import { runScenario } from './lab-support.js';

describe('lab scenario seed-004', () => {
  it('passes every check of its seed', async () => {
    await runScenario('seed-004');
  }, 180_000);
});
