// npm run lab -- test seed-000 on this kernel (nftables plane).
import { describe, it } from 'vitest';
import { runScenario } from './lab-support.js';

describe('lab scenario seed-000', () => {
  it('passes every check of its seed', async () => {
    await runScenario('seed-000');
  }, 180_000);
});
