// Test helper: a lease made to run out now, as if its holder froze.
import type { Redis } from 'ioredis';
import type { QueueKeys } from '../../src/redis/keys.js';
import { waitFor } from './wait.js';

/**
 * Makes a job's lease (default group) expire now, as if its holder froze, and wakes the group's
 * idle workers (its wake marker, lua/includes/wake.lua) so that one of them reclaims it. The
 * holder's lease keeper may renew the lease between the two steps; then the expiry is simply
 * done again. Resolves once the job's token has changed (reclaimed).
 */
export async function expireLease(redis: Redis, keys: QueueKeys, id: string, token: string): Promise<void> {
  const { active, wake } = keys.group('default');
  for (let round = 0; round < 50; round++) {
    await redis.multi().zadd(active, 0, id).zadd(wake, 'LT', 0, 'm').exec();
    let taken = false;
    await waitFor(
      async () => {
        const [tk, score] = await Promise.all([redis.hget(keys.job(id), 'tk'), redis.zscore(active, id)]);
        if (tk !== token) return (taken = true);
        return Number(score) > 0; // renewed by its holder before anyone reclaimed it: try again
      },
      5000,
      'the lease to be reclaimed or renewed',
    );
    if (taken) return;
  }
  throw new Error('the lease was renewed every time');
}
