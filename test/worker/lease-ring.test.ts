// The lease guard's shared ring (src/worker/lease-ring.ts): the writer asks for a renewal round
// before the records the thread may still need are overwritten, and the thread reads from the
// last round's position on. Both sides in this thread, over the same shared memory.
import { describe, expect, it } from 'vitest';
import { newRingMemory, RING_BYTES, RingReader, RingWriter } from '../../src/worker/lease-ring.js';

function jobs(from: number, count: number, pad = ''): { id: string; token: string }[] {
  return Array.from({ length: count }, (_, k) => ({ id: `${pad}job-${from + k}`, token: `t${from + k}` }));
}

/** Both sides of one new ring. */
function ring(): { writer: RingWriter; reader: RingReader } {
  const memory = newRingMemory();
  return { writer: new RingWriter(memory), reader: new RingReader(memory) };
}

describe('lease ring', () => {
  it('the thread reads only what was written after the last round', () => {
    const { writer, reader } = ring();
    expect(writer.append(jobs(0, 3), 1000)).toBe(false);
    reader.skipTo(writer.markRound());
    expect(writer.append(jobs(3, 2), 500)).toBe(false);
    expect(reader.take()).toEqual([
      ['job-3', 't3'],
      ['job-4', 't4'],
    ]);
    expect(reader.take()).toEqual([]);
    expect(reader.everyMs()).toBe(500);
    expect(reader.lastBeat()).toBeGreaterThan(0);
  });

  it('asks for a round once half the ring is written since the last one, and records that wrap the end read whole', () => {
    const { writer, reader } = ring();
    const pad = 'x'.repeat(1000);
    let n = 0;
    let rounds = 0;
    // three times around the ring, 10 records (~10 KB) per lease reply
    while (n * 1010 < 3 * RING_BYTES) {
      const batch = jobs(n, 10, pad);
      n += 10;
      if (writer.append(batch, 1000)) {
        rounds++;
        const from = writer.markRound();
        // the round's position covers every record so far
        reader.skipTo(from);
        expect(reader.take()).toEqual([]);
      } else {
        // what the thread would need since the round is all there, in order, never lapped
        const taken = reader.take();
        expect(taken.at(-1)).toEqual([`${pad}job-${n - 1}`, `t${n - 1}`]);
      }
    }
    expect(rounds).toBeGreaterThanOrEqual(5);
  });

  it('a lease reply too long for the ring asks for a round instead of being written', () => {
    const { writer, reader } = ring();
    expect(writer.append(jobs(0, 1000, 'y'.repeat(600)), 1000)).toBe(true);
    expect(reader.take()).toEqual([]);
  });

  it('records since a round survive until the next round is due', () => {
    const { writer, reader } = ring();
    const pad = 'z'.repeat(200);
    let n = 0;
    let asked = false;
    reader.skipTo(writer.markRound());
    while (!asked) {
      asked = writer.append(jobs(n, 5, pad), 1000);
      n += 5;
    }
    const taken = reader.take();
    expect(taken.length).toBe(n);
    expect(taken[0]).toEqual([`${pad}job-0`, 't0']);
  });
});
