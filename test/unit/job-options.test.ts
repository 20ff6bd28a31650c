// Job options (src/job/job-options.ts): validation before anything is written, the retention
// policy as the scripts take it (keepPolicy), the schedule JSON enqueue.lua reads
// (encodeSchedule), and the name and id rules. Redis-free.
import { describe, expect, it } from 'vitest';
import { InvalidIdError, InvalidOptionError, UnknownOptionError } from '../../src/errors.js';
import {
  DEFAULT_REMOVE_ON_COMPLETE,
  DEFAULT_REMOVE_ON_FAIL,
  MAX_PRIORITY,
  encodeSchedule,
  keepPolicy,
  validateJobId,
  validateJobOptions,
  type JobsOptions,
} from '../../src/job/job-options.js';
import {
  checkOptionNames,
  nearestName,
  positiveInt,
  validateChoice,
  validateGroupName,
  validateJobName,
  validatePrefix,
  validateQueueName,
} from '../../src/validate.js';

describe('validateJobOptions', () => {
  it('accepts no options, and every option at its bounds; returns them unchanged', () => {
    expect(validateJobOptions(undefined)).toEqual({});
    const opts: JobsOptions = {
      jobId: 'order-1',
      delay: 0,
      attempts: 1_000_000,
      backoff: { type: 'exponential', delay: 10, jitter: 1 },
      priority: MAX_PRIORITY,
      timeout: 2 ** 31 - 1,
      removeOnComplete: { count: 0, age: 0 },
      removeOnFail: false,
      ttl: 1,
      deduplication: { id: 'd', ttl: 1, replace: true },
      releaseKeyOnRetry: false,
    };
    expect(validateJobOptions(opts)).toBe(opts);
    expect(() => validateJobOptions({ orderingKey: 'k', startBy: new Date(1), lifo: false })).not.toThrow();
    expect(() => validateJobOptions({ priority: 1, removeOnComplete: true, removeOnFail: 5 })).not.toThrow();
  });

  it.each<[string, unknown]>([
    ['not an object', 'fast'],
    ['null', null],
    ['an array', [1]],
    ['delay < 0', { delay: -1 }],
    ['a fractional delay', { delay: 1.5 }],
    ['attempts 0', { attempts: 0 }],
    ['attempts over a million', { attempts: 1_000_001 }],
    ['priority 0', { priority: 0 }],
    ['priority past the lowest', { priority: MAX_PRIORITY + 1 }],
    ['timeout 0', { timeout: 0 }],
    ['timeout past 2^31 - 1', { timeout: 2 ** 31 }],
    ['a bad backoff', { backoff: { type: 'fixed', jitter: 2 } }],
    ['lifo not a boolean', { lifo: 'yes' }],
    ['lifo with priority', { lifo: true, priority: 3 }],
    ['ttl 0', { ttl: 0 }],
    ['startBy 0', { startBy: 0 }],
    ['startBy an invalid Date', { startBy: new Date('no date') }],
    ['ttl and startBy', { ttl: 10, startBy: Date.now() }],
    ['deduplication without an id', { deduplication: {} }],
    ['deduplication id with a space', { deduplication: { id: 'a b' } }],
    ['deduplication ttl 0', { deduplication: { id: 'd', ttl: 0 } }],
    ['deduplication replace not a boolean', { deduplication: { id: 'd', replace: 1 } }],
    ['an orderingKey with a brace', { orderingKey: 'a{b' }],
    ['orderingKey with priority', { orderingKey: 'k', priority: 1 }],
    ['orderingKey with lifo', { orderingKey: 'k', lifo: true }],
    ['releaseKeyOnRetry not a boolean', { releaseKeyOnRetry: 'true' }],
    ['removeOnComplete negative', { removeOnComplete: -1 }],
    ['removeOnComplete a string', { removeOnComplete: 'all' }],
    ['removeOnFail.count fractional', { removeOnFail: { count: 1.5 } }],
    ['removeOnFail.age negative', { removeOnFail: { age: -1 } }],
  ])('refuses %s with InvalidOptionError', (_, opts) => {
    expect(() => validateJobOptions(opts)).toThrow(InvalidOptionError);
  });

  it('a bad jobId is an InvalidIdError', () => {
    expect(() => validateJobOptions({ jobId: '12' })).toThrow(InvalidIdError);
  });

  it('an unknown key, also nested, is an UnknownOptionError naming the nearest known one', () => {
    const refused = (opts: unknown) => {
      try {
        validateJobOptions(opts);
      } catch (err) {
        return err as UnknownOptionError;
      }
      throw new Error('accepted');
    };
    const top = refused({ atempts: 3 });
    expect(top).toBeInstanceOf(UnknownOptionError);
    expect([top.option, top.suggestion]).toEqual(['atempts', 'attempts']);
    const nested = refused({ backoff: { type: 'fixed', dealy: 5 } });
    expect([nested.option, nested.suggestion]).toEqual(['backoff.dealy', 'backoff.delay']);
    expect(refused({ removeOnFail: { count: 1, ages: 5 } }).option).toBe('removeOnFail.ages');
    expect(refused({ zzzzzz: 1 }).suggestion).toBeUndefined();
  });
});

describe('keepPolicy', () => {
  it('[count, ageMs] with -1 for no limit; true keeps none, false keeps all', () => {
    expect(keepPolicy(true, DEFAULT_REMOVE_ON_COMPLETE)).toEqual([0, -1]);
    expect(keepPolicy(false, DEFAULT_REMOVE_ON_COMPLETE)).toEqual([-1, -1]);
    expect(keepPolicy(25, DEFAULT_REMOVE_ON_COMPLETE)).toEqual([25, -1]);
    expect(keepPolicy(0, DEFAULT_REMOVE_ON_COMPLETE)).toEqual([0, -1]);
  });

  it('{ count, age }: age in seconds becomes ms; a field left out sets no limit', () => {
    expect(keepPolicy({ count: 10, age: 60 }, DEFAULT_REMOVE_ON_FAIL)).toEqual([10, 60_000]);
    expect(keepPolicy({ age: 1.5 }, DEFAULT_REMOVE_ON_FAIL)).toEqual([-1, 1500]);
    expect(keepPolicy({ count: 3 }, DEFAULT_REMOVE_ON_FAIL)).toEqual([3, -1]);
    expect(keepPolicy({}, DEFAULT_REMOVE_ON_FAIL)).toEqual([-1, -1]);
  });

  it('no option: the fallback (the defaults: an hour / 1,000 completed, 7 days / 10,000 failed)', () => {
    expect(keepPolicy(undefined, DEFAULT_REMOVE_ON_COMPLETE)).toEqual([1000, 3_600_000]);
    expect(keepPolicy(undefined, DEFAULT_REMOVE_ON_FAIL)).toEqual([10_000, 7 * 24 * 3_600_000]);
  });
});

describe('encodeSchedule', () => {
  it("a plain job has no schedule: ''", () => {
    expect(encodeSchedule({})).toBe('');
    expect(encodeSchedule({ delay: 0, lifo: false, attempts: 3, jobId: 'x', removeOnComplete: true })).toBe('');
  });

  it('JSON with only the fields set; startBy as ms; dedup ttl and replace only when set', () => {
    expect(JSON.parse(encodeSchedule({ delay: 500, priority: 2 }))).toEqual({ delay: 500, priority: 2 });
    expect(JSON.parse(encodeSchedule({ lifo: true, ttl: 9 }))).toEqual({ lifo: true, ttl: 9 });
    expect(JSON.parse(encodeSchedule({ startBy: new Date(1234), orderingKey: 'k' }))).toEqual({ startBy: 1234, orderingKey: 'k' });
    expect(JSON.parse(encodeSchedule({ startBy: 99 }))).toEqual({ startBy: 99 });
    expect(JSON.parse(encodeSchedule({ deduplication: { id: 'd' } }))).toEqual({ dedup: { id: 'd' } });
    expect(JSON.parse(encodeSchedule({ deduplication: { id: 'd', ttl: 5, replace: true } }))).toEqual({
      dedup: { id: 'd', ttl: 5, replace: true },
    });
    expect(JSON.parse(encodeSchedule({ deduplication: { id: 'd', replace: false } }))).toEqual({ dedup: { id: 'd' } });
  });
});

describe('names, ids and small validators', () => {
  it('queue, group and job names', () => {
    expect(validateQueueName('emails.v2:eu-1')).toBe('emails.v2:eu-1');
    for (const bad of ['', 'a b', 'x'.repeat(101), 'a{b}', 5]) expect(() => validateQueueName(bad)).toThrow(InvalidIdError);
    expect(validateGroupName('billing-v2')).toBe('billing-v2');
    for (const bad of ['a:b', '', 'x'.repeat(65), null]) expect(() => validateGroupName(bad)).toThrow(InvalidIdError);
    expect(validateJobName('any name, even with spaces')).toBe('any name, even with spaces');
    for (const bad of ['', 'x'.repeat(257), 1]) expect(() => validateJobName(bad)).toThrow(InvalidIdError);
  });

  it('job ids: no spaces, braces or control characters; not the forms of generated ids', () => {
    expect(validateJobId('order-42')).toBe('order-42');
    expect(validateJobId('x'.repeat(128))).toHaveLength(128);
    for (const bad of ['', 'a b', 'a{1}', 'tab\there', 'x'.repeat(129), '42', '1700000000000-0', 7]) {
      expect(() => validateJobId(bad), String(bad)).toThrow(InvalidIdError);
    }
    expect(() => validateJobId('42')).toThrow(/order-42/);
  });

  it('prefix: sluice by default, else 1-64 safe characters', () => {
    expect(validatePrefix(undefined)).toBe('sluice');
    expect(validatePrefix('app:test')).toBe('app:test');
    for (const bad of ['', 'a b', 'x'.repeat(65), 3]) expect(() => validatePrefix(bad)).toThrow(InvalidOptionError);
  });

  it('positiveInt: the fallback when unset, an integer >= min, else InvalidOptionError', () => {
    expect(positiveInt('concurrency', undefined, 7)).toBe(7);
    expect(positiveInt('concurrency', 1, 7)).toBe(1);
    expect(positiveInt('blockMs', 0, 7, 0)).toBe(0);
    for (const bad of [0, 1.5, '2', -1]) expect(() => positiveInt('concurrency', bad, 7)).toThrow(InvalidOptionError);
  });

  it('validateChoice: one of the choices, or an error suggesting the nearest', () => {
    const modes = ['warn', 'refuse', 'ignore'] as const;
    expect(validateChoice('evictionPolicy', undefined, modes)).toBeUndefined();
    expect(validateChoice('evictionPolicy', 'refuse', modes)).toBe('refuse');
    expect(() => validateChoice('evictionPolicy', 'refuze', modes)).toThrow(/did you mean 'refuse'/);
    expect(() => validateChoice('evictionPolicy', 3, modes)).toThrow(InvalidOptionError);
  });

  it('checkOptionNames and nearestName: misspellings within a third of the name', () => {
    expect(nearestName('concurency', ['concurrency', 'connection'])).toBe('concurrency');
    expect(nearestName('CONCURRENCY', ['concurrency'])).toBe('concurrency');
    expect(nearestName('lmiit', ['limit'])).toBe('limit'); // a swap of neighbours counts once
    expect(nearestName('xyz', ['limit'])).toBeUndefined();
    expect(() => checkOptionNames('Worker options', undefined, ['a'])).not.toThrow();
    expect(() => checkOptionNames('Worker options', { a: 1 }, ['a'])).not.toThrow();
    expect(() => checkOptionNames('Worker options', { b: 1 }, ['a'])).toThrow(UnknownOptionError);
    expect(() => checkOptionNames('Worker options', [], ['a'])).toThrow(/must be an object; got an array/);
    expect(() => checkOptionNames('Worker options', null, ['a'])).toThrow(/got null/);
  });
});
