// The entry of a sandbox child (a worker thread or a child process, sandbox/child-channel.ts):
// loads the user's processor file, then runs the jobs its parent sends, one at a time, and
// answers with the result or the error. Calls the processor makes on its job (progress, logs,
// a longer lease) go to the parent, which holds the Redis connection and the lease; an abort
// from the parent aborts the processor's signal. A process child ends when its parent does.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type ChildMessage, type ParentMessage, type SerializedError, serializeError, type SandboxCallMethod } from './protocol.js';
import { sandboxedJob, type SandboxedProcessor } from './sandboxed-job.js';

const port = isMainThread ? undefined : parentPort;
const file: string | undefined = port ? (workerData as { file?: string } | undefined)?.file : process.env.SLUICE_SANDBOX_FILE;

function send(message: ChildMessage): void {
  if (port) port.postMessage(message);
  else process.send?.(message);
}

/** The processor: the file's default export, or its CommonJS `module.exports`. */
function pickProcessor(mod: Record<string, unknown>): SandboxedProcessor | undefined {
  const candidates = [mod.default, (mod.default as Record<string, unknown> | undefined)?.default, mod.process];
  return candidates.find((c) => typeof c === 'function') as SandboxedProcessor | undefined;
}

function rebuild(e: SerializedError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

let processor: SandboxedProcessor | undefined;
let controller: AbortController | undefined;
let callCount = 0;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

function call(method: SandboxCallMethod, args: unknown[]): Promise<unknown> {
  const n = ++callCount;
  return new Promise((resolve, reject) => {
    pending.set(n, { resolve, reject });
    send({ t: 'call', n, method, args });
  });
}

async function run(message: Extract<ParentMessage, { t: 'run' }>): Promise<void> {
  controller = new AbortController();
  const job = sandboxedJob(message.job, call);
  try {
    const value = await processor!(job, { signal: controller.signal, token: message.job.token ?? '' });
    try {
      send({ t: 'done', value });
    } catch (err) {
      // a result that cannot cross to the parent (a function, a class with private state)
      send({ t: 'failed', error: serializeError(new Error(`the processor's result cannot be sent to the worker: ${String(err)}`)) });
    }
  } catch (err) {
    send({ t: 'failed', error: serializeError(err) });
  } finally {
    controller = undefined;
  }
}

function onMessage(message: ParentMessage): void {
  if (message.t === 'run') void run(message);
  else if (message.t === 'abort') controller?.abort(rebuild(message.reason));
  else if (message.t === 'reply') {
    const waiter = pending.get(message.n);
    pending.delete(message.n);
    if (message.ok) waiter?.resolve(message.value);
    else waiter?.reject(rebuild(message.error));
  }
}

async function main(): Promise<void> {
  try {
    if (!file) throw new Error('no processor file given to the sandbox child');
    processor = pickProcessor((await import(file)) as Record<string, unknown>);
    if (!processor) throw new Error(`${file} exports no processor function (a default export, or module.exports)`);
  } catch (err) {
    send({ t: 'load-failed', error: serializeError(err) });
    return;
  }
  if (port) port.on('message', onMessage);
  else {
    process.on('message', (m) => onMessage(m as ParentMessage));
    process.on('disconnect', () => process.exit(0)); // the worker is gone
  }
  send({ t: 'ready' });
}

void main();
