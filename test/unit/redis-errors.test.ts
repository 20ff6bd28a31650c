// How an ioredis failure becomes a typed error (src/redis/redis-errors.ts), for the failures a
// Cluster adds: no seed answers, or redirections given up mid-failover; a slot being resharded. Redis-free.
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisCommandError, RedisUnavailableError } from '../../src/errors.js';
import { certainlyNotApplied, markClusterGiveUp, slotMoving, wrapRedisError } from '../../src/redis/redis-errors.js';

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

describe('a queue slot moving to another master (Cluster resharding)', () => {
  const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
  const NON_LOCAL = 'ERR Script attempted to access a non local key in a cluster node script: 1234, on @user_script:10.';
  const gaveUp = (last: string) => new Error(`Too many Cluster redirections. Last error: ReplyError: ${last}`);
  const cluster = (retryDelayOnFailover: number) => ({ options: { retryDelayOnFailover } }) as unknown as Redis;

  it('TRYAGAIN and a script stopped at a moved key are "not now", and certainly not applied', () => {
    for (const err of [reply('TRYAGAIN Multiple keys request during rehashing of slot'), reply(NON_LOCAL)]) {
      expect(slotMoving(err), err.message).toBe(true);
      expect(certainlyNotApplied(err), err.message).toBe(true);
      const wrapped = wrapRedisError(err, undefined);
      expect(wrapped, err.message).toBeInstanceOf(RedisUnavailableError);
      expect(certainlyNotApplied(wrapped), err.message).toBe(true);
    }
  });

  it('redirections given up are certainly not applied only on a Cluster that never resends a call', () => {
    for (const last of ['TRYAGAIN Multiple keys request during rehashing of slot', 'ASK 1234 127.0.0.1:7001', NON_LOCAL]) {
      expect(slotMoving(gaveUp(last)), last).toBe(true);
      // the worker's Cluster (retryDelayOnFailover 0): every attempt was refused
      expect(certainlyNotApplied(markClusterGiveUp(gaveUp(last), cluster(0))), last).toBe(true);
      // a Cluster that resends after a closed connection: an earlier attempt may have run
      expect(certainlyNotApplied(markClusterGiveUp(gaveUp(last), cluster(100))), last).toBe(false);
    }
    // the last attempt ran and failed: unknown
    const ran = markClusterGiveUp(gaveUp('ERR Error running script: attempt to index a nil value'), cluster(0));
    expect(certainlyNotApplied(ran)).toBe(false);
    expect(slotMoving(ran)).toBe(false);
  });

  it('other errors are not a moving slot', () => {
    for (const err of [reply('NOPERM no permissions'), new Error('Connection is closed.'), reply('OOM command not allowed')]) {
      expect(slotMoving(err), err.message).toBe(false);
    }
  });
});
