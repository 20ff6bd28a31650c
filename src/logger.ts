// The logger sluice writes to: any object with pino-style level methods (pino, bunyan, a
// wrapper around winston or console). The default is a pino logger at level "warn", so a
// library does not fill the application's output with its routine messages.
import { pino } from 'pino';
import { InvalidOptionError } from './errors.js';
import { redactContext } from './redis/credentials.js';

/**
 * One level method, called pino-style: a context object first and the message second, or a
 * message alone.
 */
export interface LogFn {
  (context: object, message?: string): void;
  (message: string): void;
}

/**
 * What sluice needs from a logger: the four level methods it uses, pino-style. pino and bunyan
 * loggers fit as they are; for others, wrap them in an object with these methods.
 * When `child` is present sluice uses it to attach the queue, group and worker id;
 * otherwise it adds those fields to each call's context object itself.
 *
 * @example
 * ```ts
 * const logger = {
 *   debug: () => {},
 *   info: (ctx: object | string, msg?: string) => console.info(msg ?? ctx, typeof ctx === 'object' ? ctx : ''),
 *   warn: (ctx: object | string, msg?: string) => console.warn(msg ?? ctx, typeof ctx === 'object' ? ctx : ''),
 *   error: (ctx: object | string, msg?: string) => console.error(msg ?? ctx, typeof ctx === 'object' ? ctx : ''),
 * };
 * new Worker('emails', send, { connection, logger });
 * ```
 */
export interface Logger {
  /** Detail for debugging (connection errors while Redis is away, skipped checks). */
  debug: LogFn;
  /** Routine events (a consumer group created). */
  info: LogFn;
  /** Something to look at (an eviction policy that can lose jobs, Redis gone while closing). */
  warn: LogFn;
  /** A failure sluice cannot report elsewhere (an event listener that threw). */
  error: LogFn;
  /** A logger that adds `bindings` to every entry (pino's and bunyan's `child`). */
  child?(bindings: Record<string, unknown>): Logger;
}

let fallback: Logger | undefined;

/** The default logger: pino on stdout at level "warn" (or `SLUICE_LOG_LEVEL`). */
export function defaultLogger(): Logger {
  fallback ??= pino({ name: 'sluice', level: process.env.SLUICE_LOG_LEVEL ?? 'warn' });
  return fallback;
}

/** `logger` with `bindings` on every entry: its own child when it has one, else a wrapper. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  const missing = (['debug', 'info', 'warn', 'error'] as const).filter((m) => typeof logger?.[m] !== 'function');
  if (missing.length > 0) {
    throw new InvalidOptionError(`logger must have pino-style level methods; it lacks ${missing.join(', ')}`);
  }
  // every entry goes through here: an error carrying a handshake's password is redacted first
  // (src/redis/credentials.ts); a logger's own child keeps its bindings and serialisers
  const base = typeof logger.child === 'function' ? logger.child(bindings) : undefined;
  const level = (name: 'debug' | 'info' | 'warn' | 'error'): LogFn =>
    ((context: object | string, message?: string) => {
      if (base) {
        if (typeof context === 'string') base[name](context);
        else base[name](redactContext(context), message);
      } else if (typeof context === 'string') logger[name]({ ...bindings }, context);
      else logger[name]({ ...bindings, ...redactContext(context) }, message);
    }) as LogFn;
  return {
    debug: level('debug'),
    info: level('info'),
    warn: level('warn'),
    error: level('error'),
    child: (more) => childLogger(logger, { ...bindings, ...more }),
  };
}
