// Adds keep their call order while the OpenTelemetry API loads (src/queue/job-writer.ts): the
// first adds of a process wait for the load, later ones do not, and none overtakes an earlier
// one — whatever ticks and microtasks they are called from. (A fresh module registry per test
// file: the API is not loaded when this file starts.)
import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';

const t = useRedis();

describe('adds while the tracing API loads', () => {
  it('reach Redis in the order they were called', async () => {
    t.newPrefix();
    const q = t.queue<number>('ordered');
    const adds: Promise<{ id: string; data: number }>[] = [];
    let n = 0;
    const addNext = () => adds.push(q.add('n', n++));
    // some at once, some from microtasks, some from later ticks, while the import is under way
    for (let i = 0; i < 5; i++) addNext();
    await Promise.resolve();
    for (let i = 0; i < 5; i++) queueMicrotask(addNext);
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) addNext();
    await new Promise((r) => setTimeout(r, 0));
    for (let i = 0; i < 5; i++) addNext();
    const jobs = await Promise.all(adds);
    // generated ids count up in the order Redis ran the adds
    const byId = [...jobs].sort((a, b) => Number(a.id) - Number(b.id));
    expect(byId.map((j) => j.data)).toEqual(jobs.map((_, i) => i));
  });
});
