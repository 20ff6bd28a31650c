// Stream ids (src/redis/streams.ts): their order, what is one, how a stream entry carries a
// whole job, XREAD replies in both protocols; and where a new consumer group starts reading
// (groupStartId, src/fanout/groups.ts). Redis-free.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { groupStartId } from '../../src/fanout/groups.js';
import { JobField } from '../../src/redis/keys.js';
import { carriedJobHash, compareStreamIds, isStreamId, xreadEntries } from '../../src/redis/streams.js';

describe('compareStreamIds', () => {
  it('orders by ms, then by sequence, as numbers (not as text)', () => {
    expect(compareStreamIds('1-0', '2-0')).toBe(-1);
    expect(compareStreamIds('10-0', '9-0')).toBe(1); // text order would say before
    expect(compareStreamIds('5-2', '5-10')).toBe(-1);
    expect(compareStreamIds('5-10', '5-2')).toBe(1);
    expect(compareStreamIds('5-3', '5-3')).toBe(0);
  });

  it('holds past the range of a double: sequences up to 2^64 - 1', () => {
    expect(compareStreamIds('7-18446744073709551615', '7-18446744073709551614')).toBe(1);
    expect(compareStreamIds('9007199254740993-0', '9007199254740992-0')).toBe(1);
  });

  it('sorts a list the way Redis orders entries', () => {
    const ids = ['10-1', '9-5', '10-0', '100-0', '9-10'];
    expect([...ids].sort(compareStreamIds)).toEqual(['9-5', '9-10', '10-0', '10-1', '100-0']);
  });

  it('a string that is not a stream id counts as 0-0', () => {
    expect(compareStreamIds('order-1', '0-0')).toBe(0);
    expect(compareStreamIds('order-1', '0-1')).toBe(-1);
    expect(compareStreamIds('1-0', '')).toBe(1);
  });
});

describe('isStreamId', () => {
  it('is true for ms-seq only', () => {
    expect(isStreamId('1700000000000-0')).toBe(true);
    for (const id of ['order-1', '12', '1-', '-1', '1-2-3', ' 1-2', '1-2 ', 'a-b']) expect(isStreamId(id), id).toBe(false);
  });
});

describe('carriedJobHash', () => {
  it('an entry with fields n, d (and o) is a waiting job: its hash, timestamped by the entry id', () => {
    const fields = [JobField.name, 'email', JobField.data, '{"to":"a"}', JobField.opts, '{"attempts":2}'];
    expect(carriedJobHash('1700000000123-4', fields)).toEqual({
      [JobField.name]: 'email',
      [JobField.data]: '{"to":"a"}',
      [JobField.opts]: '{"attempts":2}',
      [JobField.timestamp]: '1700000000123',
      [JobField.state]: 'waiting',
      [JobField.attemptsMade]: '0',
      [JobField.deliveries]: '0',
    });
  });

  it('without o its options are {}', () => {
    expect(carriedJobHash('1-0', [JobField.name, 'x', JobField.data, '1'])?.[JobField.opts]).toBe('{}');
  });

  it('an entry that does not carry a job (an id reference, missing data) is undefined', () => {
    expect(carriedJobHash('1-0', ['id', 'order-1'])).toBeUndefined();
    expect(carriedJobHash('1-0', [JobField.name, 'x', JobField.data])).toBeUndefined();
    expect(carriedJobHash('1-0', [JobField.data, '1', JobField.name, 'x'])).toBeUndefined();
    expect(carriedJobHash('1-0', [])).toBeUndefined();
  });
});

describe('xreadEntries', () => {
  const entries = [
    ['1-0', ['n', 'a']],
    ['2-0', ['n', 'b']],
  ];

  it('reads RESP2 arrays and RESP3 maps alike; a timeout (null) is no entries', () => {
    expect(xreadEntries([['s', entries]], 's')).toEqual(entries);
    expect(xreadEntries({ s: entries }, 's')).toEqual(entries);
    expect(xreadEntries(null, 's')).toEqual([]);
    expect(xreadEntries({ other: entries }, 's')).toEqual([]);
  });
});

describe('groupStartId', () => {
  it("'now' (the default) is $, 'start' and time 0 are 0", () => {
    expect(groupStartId(undefined)).toBe('$');
    expect(groupStartId('now')).toBe('$');
    expect(groupStartId('start')).toBe('0');
    expect(groupStartId(0)).toBe('0');
  });

  it('a time: the last possible id of the ms before, so entries of that ms are read', () => {
    const id = groupStartId(1_700_000_000_000);
    expect(id).toBe('1699999999999-18446744073709551615');
    expect(compareStreamIds(id, '1700000000000-0')).toBe(-1);
    expect(compareStreamIds(id, '1699999999999-99')).toBe(1);
  });

  it.each<[string, unknown]>([
    ['a negative time', -1],
    ['a fractional time', 1.5],
    ['an unsafe integer', 2 ** 60],
    ['NaN', Number.NaN],
    ['another word', 'end'],
    ['a Date', new Date(0)],
  ])('refuses %s with InvalidOptionError', (_, from) => {
    expect(() => groupStartId(from as 'now')).toThrow(InvalidOptionError);
  });
});
