// A real Bull Board for the tests: the express app of examples/bull-board.ts (createBullBoard with
// sluice adapters, through @bull-board/express), listening on a free port, and a small client of
// Bull Board's own HTTP API (the routes in @bull-board/api/dist/routes.js).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SluiceAdapter } from '../../src/bull-board/index.js';
import { boardApp } from '../../examples/bull-board.js';

export interface Board {
  /** Calls Bull Board's API: `path` below `<base>/api`; resolves with the status and the parsed body. */
  api(method: 'GET' | 'PUT' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

const BASE = '/admin/queues';

/** Starts a Bull Board showing `adapters` on a free port. */
export async function startBoard(adapters: SluiceAdapter[]): Promise<Board> {
  const app = boardApp(adapters, BASE); // the app examples/bull-board.ts (docs/bull-board.md) shows
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    async api(method, path, body) {
      const res = await fetch(`http://127.0.0.1:${port}${BASE}/api${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The queue entries of GET /api/queues, as far as the tests read them. */
export interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  statuses: string[];
  isPaused: boolean;
  type: string;
  jobs: { id: string; name: string; data: unknown; attempts: number; failedReason?: string; stacktrace: string[]; isFailed: boolean }[];
  pagination: { pageCount: number };
}

/** GET /api/queues, for `activeQueue` (its jobs of `status`) when given. */
export async function listQueues(board: Board, activeQueue?: string, status = 'latest'): Promise<BoardQueue[]> {
  const query = activeQueue ? `?activeQueue=${encodeURIComponent(activeQueue)}&status=${status}&page=1&jobsPerPage=50` : '';
  const res = await board.api('GET', `/queues${query}`);
  if (res.status !== 200) throw new Error(`GET /api/queues: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { queues: BoardQueue[] }).queues;
}
