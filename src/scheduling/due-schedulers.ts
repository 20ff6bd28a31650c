// Fires the due slots of repeating-job schedulers, with no leader: any worker whose lease
// reply says a slot is due computes the slot after it (cron needs cron-parser, so this part
// runs in Node) and calls fire-scheduler, which makes the job and moves the scheduler on only
// if the slot is still the planned one. However many workers race, each slot fires once.
import type { Redis } from 'ioredis';
import type { QueueKeys } from '../redis/keys.js';
import type { Logger } from '../logger.js';
import { nextSlot, slotJobId, type RepeatSpec } from './repeat.js';
import type { Scripts } from '../redis/scripts.js';

const MAX_PER_ROUND = 50;

export class SchedulerFirer {
  private round: Promise<void> | undefined;

  constructor(
    private readonly client: Redis,
    private readonly scripts: Scripts,
    private readonly keys: QueueKeys,
    private readonly logger: Logger,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Fires what is due at `now` (Redis time, from the lease reply); one round at a time. */
  fireDue(now: number): void {
    this.round ??= this.fire(now)
      .catch((err: unknown) => this.onError(err as Error))
      .finally(() => {
        this.round = undefined;
      });
  }

  /** Resolves when no round is running (for close()). */
  async idle(): Promise<void> {
    await this.round;
  }

  private async fire(now: number): Promise<void> {
    const due = await this.client.zrangebyscore(
      this.keys.schedulers,
      '-inf',
      String(now),
      'WITHSCORES',
      'LIMIT',
      '0',
      String(MAX_PER_ROUND),
    );
    for (let i = 0; i < due.length; i += 2) {
      const key = due[i]!;
      const slot = Number(due[i + 1]);
      const record = await this.client.hgetall(this.keys.scheduler(key));
      let fire: boolean;
      let next: number | undefined;
      try {
        const spec = JSON.parse(record.spec ?? '') as RepeatSpec;
        if (typeof spec !== 'object' || spec === null || (spec.pattern === undefined && spec.every === undefined))
          throw new Error('no pattern or every');
        // fire-scheduler.lua copies these three strings into the job record and counts in `count`
        const template = JSON.parse(record.template ?? '') as Record<string, unknown> | null;
        if (typeof template !== 'object' || template === null || !['name', 'data', 'opts'].every((f) => typeof template[f] === 'string'))
          throw new Error('the template is not { name, data, opts }');
        if (record.count !== undefined && !/^\d{1,15}$/.test(record.count)) throw new Error('count is not a number');
        const fired = Number(record.count ?? 0);
        const missed = (nextSlot(spec, slot, fired) ?? Infinity) <= now;
        fire = !(spec.skipMissed && missed);
        next = nextSlot(spec, Math.max(slot, now), fired + (fire ? 1 : 0));
      } catch (err) {
        this.logger.error({ key, err }, 'malformed scheduler record; it is disabled');
        await this.scripts.fireScheduler(key, slot, -1, false, slotJobId(key, slot));
        continue;
      }
      const advanced = await this.scripts.fireScheduler(key, slot, next ?? -1, fire, slotJobId(key, slot));
      if (advanced) this.logger.debug({ key, slot, next, fire }, 'scheduler slot handled');
    }
  }
}
