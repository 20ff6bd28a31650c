// The lease guard's shared memory (lease-guard.ts): the worker writes the jobs of each lease
// reply into a ring of bytes, "id\ttoken\n" each, and stamps a heartbeat, with no message and no
// wake of the guard's thread. A renewal round (a message with every job held) makes what was
// written before it moot, so the thread reads the ring only when it finds the loop blocked, from
// the last round on; the writer asks for a round whenever half the ring has been written since
// the last one, so what the thread needs is never overwritten. A reader lapped all the same
// (its messages far behind) skips what it missed.

/** Bytes of a keeper's ring: at 30,000 jobs/s of ~40 bytes, a third of a second and more. */
export const RING_BYTES = 1 << 20;

/** What the two sides share: the ring's bytes, and control words (heartbeat ms, bytes written in all). */
export interface LeaseRingMemory {
  bytes: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

const HALF = RING_BYTES / 2;
const BEAT = 0;
const WRITTEN = 1;
const EVERY = 2;

export function newRingMemory(): LeaseRingMemory {
  return { bytes: new SharedArrayBuffer(RING_BYTES), control: new SharedArrayBuffer(24) };
}

/** Either side's view of the shared memory. */
abstract class RingView {
  protected readonly bytes: Uint8Array;
  protected readonly control: BigInt64Array;

  constructor(memory: LeaseRingMemory) {
    this.bytes = new Uint8Array(memory.bytes);
    this.control = new BigInt64Array(memory.control);
  }
}

/** The worker's side: appends records and stamps the heartbeat. */
export class RingWriter extends RingView {
  private readonly encoder = new TextEncoder();
  private written = 0;
  /** Where the last round was (bytes written in all then). */
  private roundAt = 0;

  /** The event loop is alive now. */
  beat(): void {
    Atomics.store(this.control, BEAT, BigInt(Date.now()));
  }

  /**
   * Appends one record per job; `everyMs`: the renewal period now. True when the caller must
   * send a round (markRound) now: half the ring has been written since the last one, so the
   * thread's start point would be overwritten next, or this batch is too long to write (half
   * the ring or more: a round's list says the same).
   */
  append(jobs: readonly { id: string; token: string }[], everyMs: number): boolean {
    Atomics.store(this.control, EVERY, BigInt(everyMs));
    this.beat();
    let text = '';
    for (const j of jobs) text += `${j.id}\t${j.token}\n`;
    const at = this.written % RING_BYTES;
    // straight into the ring when it fits before the end (no copy, no garbage); never more than
    // half the ring, which is what lies behind the last round's start point
    const direct = this.encoder.encodeInto(text, this.bytes.subarray(at, Math.min(RING_BYTES, at + HALF)));
    let length = direct.written;
    if (direct.read < text.length) {
      const data = this.encoder.encode(text);
      if (data.length >= HALF) return true;
      length = data.length;
      const first = Math.min(length, RING_BYTES - at);
      this.bytes.set(data.subarray(0, first), at);
      this.bytes.set(data.subarray(first), 0);
    }
    this.written += length;
    Atomics.store(this.control, WRITTEN, BigInt(this.written));
    return this.written - this.roundAt > HALF;
  }

  /** A round is being sent: the position it covers (records before it are in the round's list). */
  markRound(): number {
    this.roundAt = this.written;
    this.beat();
    return this.written;
  }
}

/** The thread's side: the records written since its last read, and the last heartbeat. */
export class RingReader extends RingView {
  private readonly decoder = new TextDecoder();
  private read = 0;

  /** When the worker's loop last stamped the heartbeat (Date.now() ms; 0: never). */
  lastBeat(): number {
    return Number(Atomics.load(this.control, BEAT));
  }

  /** The keeper's renewal period at its last append (ms; Infinity: none yet). */
  everyMs(): number {
    return Number(Atomics.load(this.control, EVERY)) || Infinity;
  }

  /** A round covered everything written before `position`: read on from there. */
  skipTo(position: number): void {
    this.read = position;
  }

  /** The [id, token] records written since the last call or skipTo. */
  take(): [string, string][] {
    const written = Number(Atomics.load(this.control, WRITTEN));
    if (written === this.read) return [];
    let from = this.read;
    let lapped = false;
    if (written - from > RING_BYTES) {
      from = written - RING_BYTES;
      lapped = true;
    }
    const at = from % RING_BYTES;
    const length = written - from;
    const first = Math.min(length, RING_BYTES - at);
    const chunk = new Uint8Array(length);
    chunk.set(this.bytes.subarray(at, at + first));
    if (first < length) chunk.set(this.bytes.subarray(0, length - first), first);
    this.read = written;
    const lines = this.decoder.decode(chunk).split('\n');
    // lapped: the first line may be the tail of a record; the last is always empty
    const out: [string, string][] = [];
    for (let i = lapped ? 1 : 0; i < lines.length - 1; i++) {
      const tab = lines[i]!.indexOf('\t');
      if (tab > 0) out.push([lines[i]!.slice(0, tab), lines[i]!.slice(tab + 1)]);
    }
    return out;
  }
}
