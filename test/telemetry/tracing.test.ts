// OpenTelemetry tracing (docs/telemetry.md) against a real Redis, with the SDK's in-memory
// exporter: the producer span of add/addBulk, the trace context a job carries, the consumer
// span of each delivery (a child of the producer's, linked to it, active while the processor
// runs), its attributes, error status, retry and dead-letter events; and the option turning it off.
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, QueueEvents, UnrecoverableError } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

describe('OpenTelemetry tracing', () => {
  const t = useRedis();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  const telemetry = { tracer };
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(async () => {
    context.disable();
    await provider.shutdown();
  });
  beforeEach(() => exporter.reset());

  const spans = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
  const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;

  it('add makes a PRODUCER span whose context the job carries; the CONSUMER span is its child, linked, with attributes', async () => {
    const queue = t.queue<number>('traced', { telemetry });
    const worker = t.worker<number>(
      'traced',
      async (job) => {
        // a span the processor makes is a child of the consumer span
        tracer.startActiveSpan('inner work', (s) => s.end());
        return job.data * 2;
      },
      { telemetry },
    );
    const done = waitForEvent(worker, 'completed');
    const job = await queue.add('double', 21);
    expect(job.opts.traceContext?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await done;
    await waitFor(() => spans('process traced').length === 1, 5000, 'the process span');

    const [publish] = spans('publish traced');
    const [process] = spans('process traced');
    const [inner] = spans('inner work');
    expect(publish!.kind).toBe(SpanKind.PRODUCER);
    expect(publish!.attributes).toMatchObject({
      'messaging.system': 'sluice',
      'messaging.destination.name': 'traced',
      'messaging.operation.type': 'send',
      'messaging.message.id': job.id,
    });
    expect(job.opts.traceContext!.traceparent).toContain(publish!.spanContext().spanId);

    expect(process!.kind).toBe(SpanKind.CONSUMER);
    expect(process!.spanContext().traceId).toBe(publish!.spanContext().traceId);
    expect(parentId(process!)).toBe(publish!.spanContext().spanId);
    expect(process!.links.map((l) => l.context.spanId)).toEqual([publish!.spanContext().spanId]);
    expect(process!.attributes).toMatchObject({
      'messaging.system': 'sluice',
      'messaging.destination.name': 'traced',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'default',
      'messaging.message.id': job.id,
      'sluice.job.name': 'double',
      'sluice.job.attempt': 1,
      'sluice.job.delivery': 1,
      'sluice.job.outcome': 'completed',
    });
    expect(process!.status.code).toBe(SpanStatusCode.UNSET);
    expect(inner!.spanContext().traceId).toBe(process!.spanContext().traceId);
    expect(parentId(inner!)).toBe(process!.spanContext().spanId);
  });

  it('a producer span is a child of the active span; addBulk makes one span for the batch, every job carrying it', async () => {
    const queue = t.queue('bulk', { telemetry });
    const jobs = await tracer.startActiveSpan('request', async (request) => {
      try {
        return await queue.addBulk([1, 2, 3].map((n) => ({ name: 'n', data: n })));
      } finally {
        request.end();
      }
    });
    const [publish] = spans('publish bulk');
    const [request] = spans('request');
    expect(parentId(publish!)).toBe(request!.spanContext().spanId);
    expect(publish!.attributes['messaging.batch.message_count']).toBe(3);
    for (const job of jobs) expect(job.opts.traceContext!.traceparent).toContain(publish!.spanContext().spanId);
    // it travels in the record: the stored job has it too
    expect((await queue.getJob(jobs[0]!.id))?.opts.traceContext).toEqual(jobs[0]!.opts.traceContext);
  });

  it('on a partitioned queue: one publish span per add (made by the partition), the worker of the partition joins its trace', async () => {
    const queue = t.queue<number>('parted', { telemetry, partitions: 2 });
    const worker = t.worker<number>('parted', async (job) => job.data, { telemetry, partitions: 2 });
    const done = waitForEvent(worker, 'completed');
    const job = await queue.add('x', 5);
    await done;
    await waitFor(() => spans('process parted').length === 1, 5000, 'the process span');
    expect(spans('publish parted')).toHaveLength(1);
    expect(parentId(spans('process parted')[0]!)).toBe(spans('publish parted')[0]!.spanContext().spanId);
    expect(spans('process parted')[0]!.attributes['messaging.message.id']).toBe(job.id);
  });

  it('a failed attempt sets error status with a retry event; the last one a dead-letter event', async () => {
    const queue = t.queue('failing', { telemetry });
    const events = t.track(new QueueEvents('failing', { connection: t.url, prefix: t.prefix, logger: quietLogger, blockMs: 500 }));
    await events.waitUntilReady();
    t.worker(
      'failing',
      async (job) => {
        throw job.attemptsMade === 0 ? new Error('flaky') : new UnrecoverableError('broken');
      },
      { telemetry },
    );
    const failed = waitForEvent(events, 'failed');
    await queue.add('x', null, { attempts: 3 });
    await failed;
    await waitFor(() => spans('process failing').length === 2, 5000, 'two process spans');
    const [first, second] = spans('process failing').sort(
      (a, b) => Number(a.attributes['sluice.job.attempt']) - Number(b.attributes['sluice.job.attempt']),
    );
    expect(first!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'flaky' });
    expect(first!.attributes['sluice.job.outcome']).toBe('retry');
    expect(first!.events.map((e) => e.name)).toContain('sluice.job.retry');
    expect(second!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broken' });
    expect(second!.attributes).toMatchObject({ 'sluice.job.outcome': 'failed', 'sluice.job.attempt': 2, 'sluice.job.delivery': 2 });
    const dead = second!.events.find((e) => e.name === 'sluice.job.dead_letter');
    expect(dead?.attributes?.['sluice.job.failed_reason']).toBe('broken');
    // both deliveries are children of the one producer span
    const [publish] = spans('publish failing');
    expect(parentId(first!)).toBe(publish!.spanContext().spanId);
    expect(parentId(second!)).toBe(publish!.spanContext().spanId);
  });

  it('a trace context set by hand is carried and validated; telemetry: false makes no span and adds nothing', async () => {
    const off = t.queue('off', { telemetry: false });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const carried = await off.add('x', 1, { traceContext: { traceparent, tracestate: 'v=1' } });
    expect(carried.opts.traceContext).toEqual({ traceparent, tracestate: 'v=1' });
    const plain = await off.add('y', 2);
    expect(plain.opts.traceContext).toBeUndefined();
    await expect(off.add('z', 3, { traceContext: { traceparent: 'nope' } })).rejects.toThrow(InvalidOptionError);
    await expect(off.add('z', 3, { traceContext: { traceparent, tracestate: 'x'.repeat(600) } })).rejects.toThrow(InvalidOptionError);
    expect(() => t.queue('bad', { telemetry: 'yes' as never })).toThrow(InvalidOptionError);

    const worker = t.worker('off', async () => 'ok', { telemetry: false });
    await collectEvents(worker, 'completed', 2);
    expect(exporter.getFinishedSpans()).toEqual([]);

    // a worker with tracing on makes the hand-set context its parent
    exporter.reset();
    const q2 = t.queue('carry', { telemetry: false });
    await q2.add('x', 1, { traceContext: { traceparent } });
    const w2 = t.worker('carry', async () => 'ok', { telemetry });
    await waitForEvent(w2, 'completed');
    await waitFor(() => spans('process carry').length === 1, 5000, 'the process span');
    expect(spans('process carry')[0]!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(parentId(spans('process carry')[0]!)).toBe('b7ad6b7169203331');
  });

  it('without a registered tracer provider, behaviour is unchanged: no trace context is added, jobs run', async () => {
    // the global provider is the API's no-op one: spans are not recording and carry no context
    expect(trace.getTracerProvider().getTracer('x').startSpan('probe').isRecording()).toBe(false);
    const queue = t.queue<number>('global');
    const worker = t.worker<number>('global', async (job) => job.data + 1);
    const done = waitForEvent(worker, 'completed');
    const job = await queue.add('x', 1);
    expect(job.opts.traceContext).toBeUndefined();
    const [, result] = await done;
    expect(result).toBe(2);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('a tracer provider registered after the worker started is used from the next job on (none is made before)', async () => {
    const queue = t.queue<number>('late');
    const worker = t.worker<number>('late', async (job) => job.data);
    const first = waitForEvent(worker, 'completed');
    expect((await queue.add('before', 1)).opts.traceContext).toBeUndefined();
    await first;
    trace.setGlobalTracerProvider(provider);
    try {
      const second = waitForEvent(worker, 'completed');
      const job = await queue.add('after', 2);
      expect(job.opts.traceContext?.traceparent).toMatch(/^00-/);
      await second;
      await waitFor(() => spans('process late').length === 1, 5000, 'the process span of the job added after');
      expect(spans('publish late')).toHaveLength(1);
    } finally {
      trace.disable();
    }
  });
});
