// Every scenario the lab knows, in the order `lab list` shows them.
import type { Scenario } from '../scenario.js';
import { seed001, seed002Dr, seed002Nat, seed002Tun } from './lvs.js';
import { seed000 } from './seed-000.js';
import { seed003, seed003Haproxy } from './seed-003.js';
import { seed004 } from './seed-004.js';

export const scenarios: Scenario[] = [
  seed000,
  seed001,
  seed002Nat,
  seed002Dr,
  seed002Tun,
  seed003,
  seed003Haproxy,
  seed004,
];
