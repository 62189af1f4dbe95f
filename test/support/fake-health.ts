// A HealthSource whose target states the test sets by hand.

import type { HealthSource } from '../../src/director/director.js';
import type { StateEvent, TargetConfig, TargetState } from '../../src/health/index.js';

export class FakeHealth implements HealthSource {
  targets: TargetConfig[] = [];
  private readonly up = new Map<string, boolean>();
  private readonly listeners: Array<(ev: StateEvent) => void> = [];
  started = false;

  async setTargets(list: TargetConfig[]): Promise<void> {
    this.targets = list;
  }
  onState(fn: (ev: StateEvent) => void): () => void {
    this.listeners.push(fn);
    return () => this.listeners.splice(this.listeners.indexOf(fn), 1);
  }
  states(): TargetState[] {
    return this.targets.map((t) => ({ id: t.id, up: this.up.get(t.id) ?? true, reason: '', checks: [] }));
  }
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.started = false;
  }
  set(id: string, up: boolean): void {
    this.up.set(id, up);
    for (const l of this.listeners) l({ target: id, up, reason: 'test' });
  }
}
