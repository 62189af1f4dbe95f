// track_file for VRRP instances: the number in a file times the weight moves
// the priority, as keepalived does. The file is polled: a change is seen
// within one poll period (keepalived watches it with inotify).
import { readFile, writeFile } from 'node:fs/promises';
import type { VrrpTrackFile } from '../config/model.js';
import { logger } from '../util/log.js';

const log = logger('vrrp');

/** A track input as the speaker takes it: up/down with a weight (0: down means FAULT). */
export interface TrackEffect {
  up: boolean;
  weight: number;
}

/**
 * keepalived's rule: with weight 0 a non-zero value is a failure; otherwise
 * value × weight is added to the priority, and below -253 it is a fault.
 */
export function trackFileEffect(value: number, weight: number): TrackEffect {
  if (weight === 0) return { up: value === 0, weight: 0 };
  const delta = value * weight + 0; // + 0: no negative zero
  if (delta < -253) return { up: false, weight: 0 };
  return delta >= 0 ? { up: true, weight: delta } : { up: false, weight: delta };
}

/** The number at the start of the file's text; anything else reads as 0, as in keepalived. */
export function parseTrackValue(text: string | null): number {
  const m = text === null ? null : /^\s*([-+]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

export interface FileIo {
  read(path: string): Promise<string | null>;
  write(path: string, text: string): Promise<void>;
}

export const nodeFileIo: FileIo = {
  read: (path) => readFile(path, 'utf8').catch(() => null),
  write: (path, text) => writeFile(path, text),
};

export class FileTracker {
  private timer: NodeJS.Timeout | null = null;
  private last: number | null = null;

  /** The value last read; null before the first read. */
  get value(): number | null {
    return this.last;
  }

  constructor(
    readonly file: VrrpTrackFile,
    private readonly io: FileIo,
    private readonly onValue: (value: number) => void,
  ) {}

  async start(pollMs: number): Promise<void> {
    let text = await this.io.read(this.file.file);
    const init = this.file.initFile;
    if (init && (init.overwrite || text === null)) {
      text = `${init.value}\n`;
      await this.io.write(this.file.file, text).catch((e: unknown) => {
        log.error({ err: e, file: this.file.file }, 'track_file init_file failed');
      });
    }
    this.observe(text);
    this.timer = setInterval(() => void this.poll(), pollMs);
  }

  private async poll(): Promise<void> {
    this.observe(await this.io.read(this.file.file));
  }

  private observe(text: string | null): void {
    const value = parseTrackValue(text);
    if (value === this.last) return;
    this.last = value;
    log.info({ trackFile: this.file.name, file: this.file.file, value }, 'track file changed');
    this.onValue(value);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
