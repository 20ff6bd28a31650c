// The chaos checker (chaos/lib/check.ts) on made-up histories: it must see each kind of fault
// it exists to catch (a lost job, a stale ack, a stale stored result, an unexplained duplicate)
// and let the explained ones pass; and the order check of ordered jobs.
import { describe, expect, it } from 'vitest';
import { check } from '../../chaos/lib/check.js';
import { checkOrder } from '../../chaos/lib/check-order.js';
import type { FinalJob } from '../../chaos/lib/final-state.js';
import type { HistoryRecord } from '../../chaos/lib/history.js';

const add = (id: string, t = 0): HistoryRecord => ({ k: 'add', id, seq: Number(id), pid: 1, t });
const start = (id: string, d: number, st: number, pid: number, t: number): HistoryRecord => ({
  k: 'start',
  id,
  seq: Number(id),
  d,
  st,
  a: 0,
  tk: `tk${d}`,
  po: t,
  pid,
  t,
});
const done = (id: string, d: number, pid: number, t: number): HistoryRecord => ({ k: 'done', id, d, tk: `tk${d}`, pid, t });
const completed = (delivery: number, pid: number): FinalJob => ({
  state: 'completed',
  deliveries: delivery,
  stalls: delivery - 1,
  result: { pid, token: `tk${delivery}`, delivery },
  finishedOn: undefined,
  orderingKey: undefined,
});

describe('chaos checker', () => {
  it('a clean history passes: one start and one accepted ack per job', () => {
    const r = check([add('1'), start('1', 1, 0, 10, 5), done('1', 1, 10, 9)], new Map([['1', completed(1, 10)]]));
    expect(r).toMatchObject({ acked: 1, completed: 1, lost: 0, duplicatesExplained: 0, duplicatesUnexplained: 0, staleAcks: 0 });
  });

  it('an acknowledged add that is neither completed nor dead-lettered is lost', () => {
    const finals = new Map<string, FinalJob>([
      ['1', { state: 'waiting', deliveries: 0, stalls: 0, result: undefined, finishedOn: undefined, orderingKey: undefined }],
    ]);
    expect(check([add('1'), add('2'), start('2', 1, 0, 10, 5)], finals)).toMatchObject({ lost: 2, lostAfterRunning: 1 });
  });

  it('a second start after the holder was killed, with one more stall, is an explained duplicate', () => {
    const history: HistoryRecord[] = [
      add('1'),
      start('1', 1, 0, 10, 5),
      { k: 'fault', what: 'sigkill', pid: 10, t: 20 },
      start('1', 2, 1, 11, 3020),
      done('1', 2, 11, 3030),
    ];
    const r = check(history, new Map([['1', completed(2, 11)]]));
    expect(r).toMatchObject({ duplicatesExplained: 1, duplicatesUnexplained: 0, staleAcks: 0, staleResults: 0 });
    expect(r.redeliveryMs).toEqual({ n: 1, p50: 3000, max: 3000 });
  });

  it('after a Redis rollback the delivery counter may go back: explained by the Redis kill', () => {
    const history: HistoryRecord[] = [
      add('1'),
      start('1', 1, 0, 10, 5),
      { k: 'fault', what: 'sigkill', pid: 10, t: 20 },
      start('1', 2, 1, 11, 3020),
      { k: 'fault', what: 'redis-kill', pid: 99, t: 3030 },
      // the AOF lost the last second: Redis knows only the add, and delivers the job as its first delivery again
      { ...(start('1', 1, 0, 12, 4100) as Extract<HistoryRecord, { k: 'start' }>), tk: 'tk1-again' },
      { ...(done('1', 1, 12, 4110) as Extract<HistoryRecord, { k: 'done' }>), tk: 'tk1-again' },
    ];
    const r = check(history, new Map([['1', completed(1, 12)]]));
    expect(r).toMatchObject({ duplicatesExplained: 2, duplicatesUnexplained: 0, staleAcks: 0, staleResults: 0 });
    expect(r.explainedBy).toEqual({ sigkill: 1, 'redis-kill': 1 });
  });

  it('a rollback is explained by the Redis kill even when a stall of the holder came first (chaos run, restart-crash)', () => {
    const history: HistoryRecord[] = [
      add('1'),
      start('1', 1, 0, 10, 5),
      done('1', 1, 10, 9),
      { k: 'fault', what: 'stall', pid: 10, t: 300, until: 700 },
      { k: 'fault', what: 'redis-kill', pid: 99, t: 1000 },
      // the AOF lost its last second: the lease and the ack are gone, the job is delivered as its first delivery again
      { ...(start('1', 1, 0, 10, 2500) as Extract<HistoryRecord, { k: 'start' }>), tk: 'tk1-again' },
      { ...(done('1', 1, 10, 2510) as Extract<HistoryRecord, { k: 'done' }>), tk: 'tk1-again' },
    ];
    const r = check(history, new Map([['1', completed(1, 10)]]));
    expect(r).toMatchObject({ duplicatesExplained: 1, duplicatesUnexplained: 0, staleAcks: 0 });
    expect(r.explainedBy).toEqual({ 'redis-kill': 1 });
  });

  it('an earlier delivery started late by a process frozen since it leased it: explained by the freeze', () => {
    const history: HistoryRecord[] = [
      add('1'),
      // pid 10 leases delivery 1 at 5 and freezes before starting it; its lease runs out and pid 11 takes over
      { k: 'fault', what: 'sigstop', pid: 10, t: 10, until: 2500 },
      start('1', 2, 1, 11, 2000),
      { ...(start('1', 1, 0, 10, 2560) as Extract<HistoryRecord, { k: 'start' }>), po: 5 },
      done('1', 2, 11, 2600),
    ];
    const r = check(history, new Map([['1', completed(2, 11)]]));
    // and the ack of delivery 2 is not stale: the late start is of a lease older than its own (CI run, freeze-many)
    expect(r).toMatchObject({ duplicatesExplained: 1, duplicatesUnexplained: 0, staleAcks: 0 });
    expect(r.explainedBy).toEqual({ sigstop: 1 });
    // without the freeze of that process it stays unexplained
    const unfrozen = check(
      history.filter((h) => h.k !== 'fault'),
      new Map([['1', completed(2, 11)]]),
    );
    expect(unfrozen.duplicatesUnexplained).toBe(1);
  });

  it('a second start with no fault of its holder, or without a stall, is unexplained', () => {
    const noFault = check([add('1'), start('1', 1, 0, 10, 5), start('1', 2, 1, 11, 50)], new Map([['1', completed(2, 11)]]));
    expect(noFault.duplicatesUnexplained).toBe(1);
    const noStall: HistoryRecord[] = [
      add('1'),
      start('1', 1, 0, 10, 5),
      { k: 'fault', what: 'sigkill', pid: 10, t: 20 },
      start('1', 1, 0, 11, 3020),
    ];
    expect(check(noStall, new Map([['1', completed(1, 11)]])).duplicatesUnexplained).toBe(1);
  });

  it('a start after a failed attempt is a retry, even when a delivery in between stalled unstarted', () => {
    const retried = { ...start('1', 4, 1, 11, 3100), a: 1 } as HistoryRecord;
    const r = check([add('1'), start('1', 2, 0, 10, 5), retried], new Map([['1', completed(4, 11)]]));
    expect(r).toMatchObject({ retries: 1, duplicatesExplained: 0, duplicatesUnexplained: 0 });
  });

  it('an ack of an older delivery accepted after a newer one started is stale, and so is its stored result', () => {
    const history: HistoryRecord[] = [
      add('1'),
      start('1', 1, 0, 10, 5),
      { k: 'fault', what: 'sigstop', pid: 10, t: 6 },
      start('1', 2, 1, 11, 3000),
      done('1', 1, 10, 4000),
    ];
    const r = check(history, new Map([['1', completed(1, 10)]]));
    expect(r).toMatchObject({ staleAcks: 1, staleResults: 1, duplicatesExplained: 1 });
  });

  it("an older delivery's ack taken after a Redis rollback undid the newer delivery's lease is counted apart, not as stale", () => {
    const history: HistoryRecord[] = [
      add('1'),
      start('1', 1, 0, 10, 5),
      { k: 'fault', what: 'sigstop', pid: 10, t: 6 },
      start('1', 2, 1, 11, 3000),
      { k: 'fault', what: 'failover', pid: 99, t: 3500 },
      done('1', 1, 10, 4000),
    ];
    const r = check(history, new Map([['1', completed(1, 10)]]));
    expect(r).toMatchObject({ staleAcks: 0, staleAcksAfterRollback: 1 });
  });

  it('a job that ran with no acknowledged add, under the sequence number of another, is an add made twice', () => {
    const history: HistoryRecord[] = [add('1'), start('1', 1, 0, 10, 5), { ...start('2', 1, 0, 10, 6), seq: 1 } as HistoryRecord];
    expect(check(history, new Map([['1', completed(1, 10)]]))).toMatchObject({ unackedJobsRun: 1, duplicateAdds: 1 });
  });

  it('a worker process that died on its own is counted', () => {
    const history: HistoryRecord[] = [{ k: 'died', code: 1, signal: null, pid: 10, t: 5 }];
    expect(check(history, new Map()).workersDied).toBe(1);
  });

  it('a lost event whose own result was stored is counted (an ack that landed unconfirmed)', () => {
    const history: HistoryRecord[] = [add('1'), start('1', 1, 0, 10, 5), { k: 'lost', id: '1', d: 1, pid: 10, t: 9 }];
    expect(check(history, new Map([['1', completed(1, 10)]]))).toMatchObject({ lostEvents: 1, lostEventsWithStoredResult: 1 });
  });
});

describe('chaos order check', () => {
  const final = (finishedOn: number): FinalJob => ({
    state: 'completed',
    deliveries: 1,
    stalls: 0,
    result: undefined,
    finishedOn,
    orderingKey: 'k1',
  });

  it('a job leased before the previous job of its key finished for good is a violation; after it, none', () => {
    const history: HistoryRecord[] = [add('7'), add('8'), start('7', 1, 0, 10, 100), start('8', 1, 0, 11, 150)];
    expect(
      checkOrder(
        history,
        new Map([
          ['7', final(160)],
          ['8', final(170)],
        ]),
      ),
    ).toMatchObject({ keys: 1, violations: 1 });
    expect(
      checkOrder(
        history,
        new Map([
          ['7', final(140)],
          ['8', final(170)],
        ]),
      ),
    ).toMatchObject({ keys: 1, violations: 0 });
  });

  it('orders a key by id as a number (the counter), not as a string', () => {
    const history: HistoryRecord[] = [add('10'), add('9'), start('9', 1, 0, 10, 100), start('10', 1, 0, 11, 150)];
    expect(
      checkOrder(
        history,
        new Map([
          ['9', final(120)],
          ['10', final(170)],
        ]),
      ).violations,
    ).toBe(0);
  });
});
