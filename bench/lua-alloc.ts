// What Lua allocates per call of the scripts on a job's path at low load (lua/README.md, "Cost
// per call"): the add, the lease and the ack, each wrapped so that a call adds to a hash the
// memory Lua allocated while it ran (collectgarbage('count'), the collector stopped for the call),
// while `--jobs` plain jobs are added one every 5 ms to one worker (c=10, deleted on completion)
// on a private redis-server. Unlike a timing on a shared machine, the figure is the same each run.
//   node dist/bench/lua-alloc.js [--jobs 300]
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { luaScripts } from '../src/generated/lua.js';
import { Queue, Worker } from '../src/index.js';
import { sleep } from './lib/cleanup.js';
import { startRedisServer } from './lib/redis-server.js';

const MEASURED = ['enqueue', 'lease', 'complete'] as const;
const TALLY = 'lua-alloc';

/** The script's text run inside a function, with what it allocated added to the TALLY hash. */
function measured(op: string, lua: string): string {
  const [shebang, ...body] = lua.split('\n');
  return [
    shebang,
    "collectgarbage('stop') local allocStart = collectgarbage('count')",
    `local allocReply = (function() ${body.join('\n')}\nend)()`,
    `redis.call('HINCRBYFLOAT', '${TALLY}', '${op}', collectgarbage('count') - allocStart)`,
    `redis.call('HINCRBY', '${TALLY}', '${op}:calls', 1)`,
    "collectgarbage('restart')",
    'return allocReply',
  ].join('\n');
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--jobs');
  const jobs = at > 0 ? Number(process.argv[at + 1]) : 300;
  // (this process only: the scripts are registered, with their new text, by the clients below)
  for (const op of MEASURED) {
    const script = luaScripts[op] as { lua: string };
    script.lua = measured(op, script.lua);
  }
  const redis = await startRedisServer();
  const connection = { host: redis.host, port: redis.port };
  const logger = pino({ level: 'warn' });
  const queue = new Queue('alloc', { connection, defaultJobOptions: { removeOnComplete: true }, logger });
  let done = 0;
  let finished: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker('alloc', async () => 1, { connection, concurrency: 10, logger, metrics: false });
  worker.on('completed', () => {
    if (++done === jobs) finished();
  });
  const admin = new Redis(redis.port, redis.host);
  try {
    await queue.waitUntilReady();
    for (let i = 0; i < jobs; i++) {
      await queue.add('job', { i, user: `user-${i % 1000}`, action: 'resize-image' });
      await sleep(5);
    }
    await all;
    const tally = await admin.hgetall(TALLY);
    console.log(`Lua allocation per call, ${jobs} jobs at one per 5 ms (redis-server ${redis.version}):`);
    for (const op of MEASURED) {
      const calls = Number(tally[`${op}:calls`] ?? 0);
      const kb = Number(tally[op] ?? 0) / Math.max(1, calls);
      console.log(`  ${op.padEnd(9)} ${kb.toFixed(2)} KB  (${calls} calls)`);
    }
  } finally {
    admin.disconnect();
    await worker.close();
    await queue.close();
    await redis.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
