// Waiting without sleeping: poll a condition or wait for an event, with a timeout that fails
// the test with a message.

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// biome-ignore-start lint/suspicious/noExplicitAny: any emitter's listeners, whatever their argument types
interface Emitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}
// biome-ignore-end lint/suspicious/noExplicitAny: (end)

export function waitForEvent<T extends unknown[] = unknown[]>(
  emitter: Emitter,
  event: string,
  timeoutMs = 10_000,
  filter: (...args: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for event "${event}"`));
    }, timeoutMs);
    const listener = (...args: T) => {
      if (!filter(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    // biome-ignore lint/suspicious/noExplicitAny: as Emitter takes it
    emitter.on(event, listener as (...args: any[]) => void);
  });
}

/** Resolves after `count` events, collecting their first arguments. */
export function collectEvents<T>(emitter: Emitter, event: string, count: number, timeoutMs = 20_000): Promise<T[]> {
  const seen: T[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms: ${seen.length}/${count} "${event}" events`));
    }, timeoutMs);
    const listener = (first: T) => {
      seen.push(first);
      if (seen.length >= count) {
        clearTimeout(timer);
        emitter.off(event, listener);
        resolve(seen);
      }
    };
    emitter.on(event, listener);
  });
}
