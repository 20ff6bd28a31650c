// The dashboard mounted in Fastify (docs/dashboard.md): its Node handler takes the raw request
// and response of a hijacked reply, under a basePath; an action goes through with its CSRF
// token. (Express is in api.test.ts.)
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createDashboard, type QueuesResponse, type SessionResponse } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';

const t = useRedis();

describe('dashboard in Fastify', () => {
  it('answers under its path, reads and acts', async () => {
    t.newPrefix();
    const queue = t.queue('orders');
    await queue.add('x', {});
    const dashboard = createDashboard({ connection: t.url, prefix: t.prefix, basePath: '/sluice' });
    const app = Fastify();
    const mount = (req: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      dashboard(req.raw, reply.raw);
    };
    app.all('/sluice', mount);
    app.all('/sluice/*', mount);
    app.get('/health', async () => 'fine');
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect((await fetch(`${base}/sluice/`)).status).toBe(200);
      const queues = (await (await fetch(`${base}/sluice/api/queues`)).json()) as QueuesResponse;
      expect(queues.names).toEqual(['orders']);
      const { csrfToken } = (await (await fetch(`${base}/sluice/api/session`)).json()) as SessionResponse;
      const paused = await fetch(`${base}/sluice/api/queues/orders/groups/default/pause`, {
        method: 'POST',
        headers: { 'X-CSRF-Token': csrfToken, Origin: base },
      });
      expect(paused.status).toBe(200);
      expect(await queue.isPaused()).toBe(true);
      expect(await (await fetch(`${base}/health`)).text()).toBe('fine');
    } finally {
      await app.close();
      await dashboard.close();
    }
  });
});
