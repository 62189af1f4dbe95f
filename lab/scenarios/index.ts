// Every scenario the lab knows, in the order `lab list` shows them.
import type { Scenario } from '../scenario.js';
import { seed004 } from './seed-004.js';

export const scenarios: Scenario[] = [seed004];
