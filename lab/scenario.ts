// What a scenario is: a topology, how to bring it up, and a test that checks
// what its seed describes and reports the figures it measured.
import type { Lab, Plane } from './lab.js';
import type { TopologySpec } from './topology.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export class Report {
  readonly scenario: string;
  readonly checks: Check[] = [];
  readonly figures: Record<string, unknown> = {};
  private readonly onCheck: (c: Check) => void;

  constructor(scenario: string, onCheck: (c: Check) => void = () => {}) {
    this.scenario = scenario;
    this.onCheck = onCheck;
  }

  check(name: string, ok: boolean, detail: string): boolean {
    const c = { name, ok, detail };
    this.checks.push(c);
    this.onCheck(c);
    return ok;
  }

  figure(key: string, value: unknown): void {
    this.figures[key] = value;
  }

  get ok(): boolean {
    return this.checks.length > 0 && this.checks.every((c) => c.ok);
  }

  toJSON(): { scenario: string; ok: boolean; checks: Check[]; figures: Record<string, unknown> } {
    return { scenario: this.scenario, ok: this.ok, checks: this.checks, figures: this.figures };
  }
}

export interface Scenario {
  name: string;
  title: string;
  /** The seed it reproduces. */
  seed: string;
  /** Runs only where the kernel has IPVS (DR, TUN, connection sync): the lab VM here. */
  needsIpvs: boolean;
  /** Keepalived configs under lab/scenarios/, relative to the repository root. */
  configs: string[];
  /** Lines printed by `lab up` and `lab list`: where things are, what to try. */
  describe: string[];
  topology(): TopologySpec;
  up(lab: Lab): Promise<void>;
  test(lab: Lab, report: Report): Promise<void>;
}

/** The plane a scenario uses on this kernel. */
export function planeFor(s: Scenario, hasIpvs: boolean): Plane {
  return s.needsIpvs || hasIpvs ? 'ipvs' : 'nftables';
}
