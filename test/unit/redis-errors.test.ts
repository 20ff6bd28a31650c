// How an ioredis failure becomes a typed error (src/redis/redis-errors.ts), for the failures a
// Cluster adds: no seed answers, or redirections given up mid-failover. Redis-free.
import { describe, expect, it } from 'vitest';
import { RedisCommandError, RedisUnavailableError } from '../../src/errors.js';
import { wrapRedisError } from '../../src/redis/redis-errors.js';

describe('wrapRedisError', () => {
  it('a Cluster whose seeds do not answer, or that gave up following redirections, is unavailable', () => {
    for (const message of ['None of startup nodes is available', 'Too many Cluster redirections. Last error: Error: CLUSTERDOWN']) {
      const err = wrapRedisError(new Error(message), undefined);
      expect(err, message).toBeInstanceOf(RedisUnavailableError);
      expect((err as Error).cause).toBeInstanceOf(Error);
    }
  });

  it('an error that is not a Redis failure is passed on as it is', () => {
    const bug = new TypeError('x is not a function');
    expect(wrapRedisError(bug, undefined)).toBe(bug);
  });

  it('an error reply keeps its code', () => {
    const reply = Object.assign(new Error('NOPERM this user has no permissions'), { name: 'ReplyError' });
    const err = wrapRedisError(reply, undefined);
    expect(err).toBeInstanceOf(RedisCommandError);
    expect((err as RedisCommandError).redisCode).toBe('NOPERM');
  });
});
