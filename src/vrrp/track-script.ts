// vrrp_script: runs the script every interval and turns keepalived's
// rise/fall counts into an up/down result.
import type { VrrpScript } from '../config/model.js';

export class ScriptTracker {
  up: boolean;
  private okRun = 0;
  private failRun = 0;
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    readonly script: VrrpScript,
    private readonly run: (s: VrrpScript) => Promise<boolean>,
    private readonly onChange: (up: boolean) => void,
    /** A replaced tracker's result, carried over so a reload changes nothing by itself. */
    initialUp?: boolean,
  ) {
    this.up = initialUp ?? !script.initFail;
  }

  start(): void {
    const tick = async () => {
      if (this.running) return; // a slow script skips a beat rather than piling up
      this.running = true;
      try {
        this.observe(await this.run(this.script));
      } finally {
        this.running = false;
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), Math.max(100, this.script.interval));
  }

  /** keepalived's rise/fall: that many results in a row change the state. */
  observe(ok: boolean): void {
    if (ok) {
      this.okRun++;
      this.failRun = 0;
      if (!this.up && this.okRun >= this.script.rise) this.set(true);
    } else {
      this.failRun++;
      this.okRun = 0;
      if (this.up && this.failRun >= this.script.fall) this.set(false);
    }
  }

  private set(up: boolean): void {
    this.up = up;
    this.onChange(up);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
