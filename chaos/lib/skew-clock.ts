// A preload for chaos child processes (`node --import`): shifts the process's wall clock —
// Date.now() and `new Date()` — by CHAOS_CLOCK_OFFSET_MS, and, with CHAOS_CLOCK_STEP_MS, steps
// it by that much more CHAOS_CLOCK_STEP_AFTER_MS after the process started (as an NTP step
// does), to show that sluice takes due times and leases from Redis TIME, not from the clocks of
// its processes. Timers (setTimeout) and performance.now() run on the monotonic clock and are
// not shifted. The history writer asks for the current shift (CLOCK_SHIFT) to record true times.
/** The global under which a skewed process keeps its clock's current shift (ms). */
export const CLOCK_SHIFT = '__chaosClockShift';

const base = Number(process.env.CHAOS_CLOCK_OFFSET_MS ?? 0);
const step = Number(process.env.CHAOS_CLOCK_STEP_MS ?? 0);
const stepAt = Number(process.env.CHAOS_CLOCK_STEP_AFTER_MS ?? 0);

if ((base !== 0 || step !== 0) && Number.isFinite(base + step + stepAt)) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const shift = () => (step !== 0 && performance.now() >= stepAt ? base + step : base);
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + shift());
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return realNow() + shift();
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
  (globalThis as { [CLOCK_SHIFT]?: () => number })[CLOCK_SHIFT] = shift;
}
