// What a worker's loop is doing (its phase), and the only way it changes. Every phase is entered
// from 'idle' and left back to 'idle'; nothing else is a transition. A pause (a back-off after a
// failed call or a failed blocking read, shutdown waiting for its running jobs) parks the loop
// without leaving 'idle'.
//
//           ┌─→ calling ──────┐
//   idle ───┼─→ waiting-slot ─┼──→ idle
//           └─→ blocking ─────┘
//
// - `calling`: it awaits the oldest lease call in flight; back to idle on the reply, an error,
//   or the watchdog (`withTimeout`: Redis did not answer in blockMs + watchdogGraceMs).
// - `waiting-slot`: no call could be sent (every slot taken, nothing to ack); back to idle when
//   a slot frees, an ack arrives, or close() wakes it.
// - `blocking`: the reply was idle and nothing runs, is leased ahead or in flight: it blocks on
//   the group's wake marker (idle-wait.ts); back to idle when woken, at a due time or the block
//   timeout, on an error, or on close().
//
// What reads the phase: health() (a call or a block overdue past the watchdog is unhealthy),
// onAck (while blocking, acks are flushed at once rather than wait for the loop), and close()
// (a blocking read is interrupted). docs/job-lifecycle.md has the same table.
import type { Logger } from '../logger.js';

export type LoopPhase = 'idle' | 'calling' | 'waiting-slot' | 'blocking';

/** The transitions enter() allows. */
const PHASE_TRANSITIONS: Record<LoopPhase, readonly LoopPhase[]> = {
  idle: ['calling', 'waiting-slot', 'blocking'],
  calling: ['idle'],
  'waiting-slot': ['idle'],
  blocking: ['idle'],
};

/**
 * The phase of one loop. An illegal transition is a bug in sluice: reported (the worker's
 * 'error' event), not thrown, since a throw in a timer callback would end the host process; the
 * phase is set anyway, and the worker goes on.
 */
export class LoopPhases {
  private phase: LoopPhase = 'idle';

  constructor(
    private readonly logger: Logger,
    private readonly reportBug: (err: Error) => void,
  ) {}

  get current(): LoopPhase {
    return this.phase;
  }

  /** The only place the phase changes: checks the transition and logs it at debug level. */
  enter(next: LoopPhase): void {
    const from = this.phase;
    if (!PHASE_TRANSITIONS[from].includes(next)) {
      this.reportBug(new Error(`worker loop phase ${from} → ${next} is not a transition (a bug in sluice)`));
    }
    this.logger.debug({ from, to: next }, 'worker loop phase');
    this.phase = next;
  }
}
