// toJson and fromJson (src/job/payload.ts): job data, results and progress as JSON. What JSON
// cannot carry faithfully, and what is over the size limit, is refused with a typed error.
// Redis-free.
import { describe, expect, it } from 'vitest';
import { InvalidPayloadError, PayloadTooLargeError } from '../../src/errors.js';
import { fromJson, toJson } from '../../src/job/payload.js';

describe('toJson', () => {
  it('plain JSON values round-trip; undefined is stored as null', () => {
    const value = { s: 'é', n: -1.5, b: true, none: null, list: [1, 'two', { three: 3 }], nested: { deep: { x: 0 } } };
    expect(fromJson(toJson(value, 'job data'))).toEqual(value);
    expect(toJson(undefined, 'job data')).toBe('null');
    expect(toJson('text', 'job data')).toBe('"text"');
    expect(toJson(0, 'job data')).toBe('0');
  });

  it('a Date becomes its ISO string, as JSON.stringify makes it', () => {
    expect(toJson({ at: new Date(Date.UTC(2026, 0, 2)) }, 'job data')).toBe('{"at":"2026-01-02T00:00:00.000Z"}');
  });

  it.each([
    ['a BigInt', { n: 10n }, /"n" is a BigInt/],
    ['a function', { f: () => 1 }, /"f" is a function/],
    ['a symbol', { s: Symbol('x') }, /"s" is a symbol/],
    ['NaN', { x: Number.NaN }, /"x" is NaN/],
    ['Infinity', { list: [1, Number.POSITIVE_INFINITY] }, /"1" is Infinity/],
    ['-Infinity at the top', Number.NEGATIVE_INFINITY, /-Infinity/],
  ])('%s is refused with InvalidPayloadError naming where it is', (_, value, message) => {
    expect(() => toJson(value, 'job data')).toThrow(InvalidPayloadError);
    expect(() => toJson(value, 'job data')).toThrow(message);
    expect(() => toJson(value, 'job data')).toThrow(/^job data is not JSON-serialisable/);
  });

  it('a cycle is refused with InvalidPayloadError keeping the TypeError as cause', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let caught: unknown;
    try {
      toJson(cyclic, 'progress');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidPayloadError);
    expect((caught as Error).message).toMatch(/^progress is not JSON-serialisable/);
    expect((caught as Error).cause).toBeInstanceOf(TypeError);
  });

  it('a value JSON has no text for (a bare function) is refused', () => {
    expect(() => toJson(() => 1, 'job data')).toThrow(InvalidPayloadError);
  });

  it('the limit is in bytes of JSON, not characters: at the limit passes, one byte over fails', () => {
    // "€" is 3 bytes in UTF-8: '"' + 3 × 100 + '"' = 302 bytes, 102 characters
    const euros = '€'.repeat(100);
    expect(toJson(euros, 'job data', 302)).toBe(`"${euros}"`);
    let caught: unknown;
    try {
      toJson(euros, 'job data', 301);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PayloadTooLargeError);
    expect((caught as PayloadTooLargeError).size).toBe(302);
    expect((caught as PayloadTooLargeError).limit).toBe(301);
    expect((caught as PayloadTooLargeError).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('without a limit any size passes', () => {
    expect(toJson('x'.repeat(1_000_000), 'job data')).toHaveLength(1_000_002);
  });
});

describe('fromJson', () => {
  it('parses JSON; nothing stored (undefined, null, empty) is undefined', () => {
    expect(fromJson('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(fromJson('null')).toBeNull();
    expect(fromJson('0')).toBe(0);
    expect(fromJson(undefined)).toBeUndefined();
    expect(fromJson(null)).toBeUndefined();
    expect(fromJson('')).toBeUndefined();
  });

  it('text that is not JSON (a record planted by hand) is returned as it is', () => {
    expect(fromJson('not json')).toBe('not json');
    expect(fromJson('{"cut":')).toBe('{"cut":');
  });
});
