export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export const PRIORITY_OWNER = 255;
export const PRIORITY_RELEASE = 0;

export interface MachineConfig {
  readonly name: string;
  readonly version: 2 | 3;
  readonly vrid: number;
  /** Configured priority, 1..255 (255 = address owner). */
  readonly priority: number;
  readonly advertIntMs: number;
  readonly initialState: 'MASTER' | 'BACKUP';
  /** false = keepalived's nopreempt (only honoured with initial state BACKUP). */
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  /** This router's address on the VRRP interface: the source of its adverts and the tie-breaker. */
  readonly primaryIp: string;
  /** RFC 5798 Accept_Mode: passed through to whoever installs the VIPs. */
  readonly accept: boolean;
  /**
   * A member of a sync group: when Master_Down expires it only asks to become
   * master ('want-master'); the group decides, so that all members move together.
   */
  readonly syncGroup?: boolean;
  /** down_timer_adverts: Master_Down_Interval counts this many adverts (default 3, as the RFCs). */
  readonly downTimerAdverts?: number;
  /** lower_prio_no_advert (implied by strict mode): a master answers a lower-priority advert with GARPs only, no advert. */
  readonly lowerPrioNoAdvert?: boolean;
  /** higher_prio_send_advert: a master sends one advert at its priority before yielding. */
  readonly higherPrioSendAdvert?: boolean;
}

export type MachineEvent =
  | { readonly type: 'start' }
  /** An advert that passed the packet checks. Its time is when it was read, not when a timer fired. */
  | { readonly type: 'advert'; readonly src: string; readonly priority: number; readonly advertIntMs: number }
  | { readonly type: 'tick' }
  /** A tracked item changed. weight 0: its failure means Fault; otherwise keepalived's weight rules. */
  | { readonly type: 'track'; readonly name: string; readonly up: boolean; readonly weight: number }
  /** A tracked item is no longer tracked (a reload dropped it). */
  | { readonly type: 'untrack'; readonly name: string }
  /** The sync group moves this member: to MASTER from BACKUP, or to BACKUP from MASTER. */
  | { readonly type: 'sync'; readonly to: 'MASTER' | 'BACKUP' }
  /** A reload changed settings that apply in place; the state is kept. */
  | { readonly type: 'reconfigure'; readonly changes: Partial<ReconfigurableSettings> }
  | { readonly type: 'shutdown' };

/** What a reload may change without restarting the instance. */
export type ReconfigurableSettings = Pick<
  MachineConfig,
  | 'priority'
  | 'advertIntMs'
  | 'preempt'
  | 'preemptDelayMs'
  | 'accept'
  | 'syncGroup'
  | 'downTimerAdverts'
  | 'lowerPrioNoAdvert'
  | 'higherPrioSendAdvert'
>;

export type MachineAction =
  | { readonly type: 'send-advert'; readonly priority: number }
  | { readonly type: 'add-vips'; readonly accept: boolean }
  | { readonly type: 'remove-vips' }
  /** Start a gratuitous ARP / unsolicited NA round (the speaker applies garp_master_* settings). */
  | { readonly type: 'send-garp'; readonly reason: 'became-master' | 'lower-priority-master' }
  | { readonly type: 'notify'; readonly state: NotifyState; readonly priority: number }
  /** A sync-group member's Master_Down expired: it would become master if the group agrees. */
  | { readonly type: 'want-master' }
  /** An advert from another master reached this master. */
  | {
      readonly type: 'other-master';
      readonly peer: string;
      readonly peerPriority: number;
      readonly outcome: 'stay-master' | 'yield';
      /**
       * preemption: the normal overlap while a higher-priority router takes
       * over (the loser has not heard it yet). split-brain: two masters for
       * longer than a takeover takes, as after a partition.
       */
      readonly kind: 'preemption' | 'split-brain';
    }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly msg: string };

export interface MachineStats {
  becameMaster: number;
  becameBackup: number;
  becameFault: number;
  advertsSent: number;
  advertsReceived: number;
  releaseReceived: number;
  releaseSent: number;
  /** Adverts from another master that a takeover does not explain (a partition). */
  splitBrain: number;
}
