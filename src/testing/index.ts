// sluice/testing: helpers for testing code that uses sluice against a real Redis (sluice's Lua
// scripts need one; a mock cannot run them). Start a private redis-server (or use REDIS_URL),
// make queues under unique key prefixes, run a worker until the queue is drained, and promote
// delayed jobs: their due times are Redis time, which fake timers cannot move.
// See docs/testing.md.
export { startRedis, NoRedisServerError, type StartRedisOptions, type TestRedis } from './redis-server.js';
export { createTestQueue, uniquePrefix, TestQueue, type TestQueueOptions } from './test-queue.js';
export { runUntilDrained, promoteAll, DrainTimeoutError, type DrainResult, type RunUntilDrainedOptions } from './drain.js';
