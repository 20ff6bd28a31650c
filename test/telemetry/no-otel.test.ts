// Without @opentelemetry/api (an optional peer, docs/telemetry.md): jobs run as before, none
// carries a trace context, and nothing of the package is loaded. Each case runs a producer and a
// worker in a child process (no-otel-program.mjs, on the built dist/: `npm run build` first)
// whose module hooks (no-otel-hooks.mjs) make every `@opentelemetry/*` specifier fail to resolve
// as a missing package does, and report what was asked for and what was loaded.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';

const t = useRedis();
const program = fileURLToPath(new URL('./no-otel-program.mjs', import.meta.url));

interface Outcome {
  results: Record<string, { result: number; attemptsMade: number; traceContext: unknown }>;
  addedTraceContexts: unknown[];
  asked: string[];
  loaded: string[];
}

async function runWithoutOtel(telemetry: 'on' | 'off'): Promise<Outcome> {
  const { stdout } = await promisify(execFile)(process.execPath, [program], {
    env: { ...process.env, REDIS_URL: t.url, PREFIX: t.newPrefix(), TELEMETRY: telemetry },
    timeout: 40_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome;
}

describe('without @opentelemetry/api', () => {
  it('tries the import once, loads nothing of it, and jobs run (a retry included) carrying no trace context', async () => {
    const out = await runWithoutOtel('on');
    expect(out.results).toEqual({
      double: { result: 42, attemptsMade: 0, traceContext: null },
      flaky: { result: 4, attemptsMade: 1, traceContext: null },
    });
    expect(out.addedTraceContexts).toEqual([null, null]);
    // telemetry is on by default: sluice asked for the API (once per process), and got nothing
    expect(out.asked).toEqual(['@opentelemetry/api']);
    expect(out.loaded.filter((url) => url.includes('/@opentelemetry/'))).toEqual([]);
    // the hooks did see the modules that were loaded: sluice's own
    expect(out.loaded.some((url) => url.endsWith('/dist/src/telemetry/otel-api.js'))).toBe(true);
  });

  it('with telemetry: false, does not even ask for it', async () => {
    const out = await runWithoutOtel('off');
    expect(out.results.double).toEqual({ result: 42, attemptsMade: 0, traceContext: null });
    expect(out.results.flaky).toMatchObject({ result: 4, attemptsMade: 1 });
    expect(out.asked).toEqual([]);
    expect(out.loaded.filter((url) => url.includes('/@opentelemetry/'))).toEqual([]);
  });
});
