// The default logger, and child loggers that carry the queue, group and worker id.
import { pino, type Logger } from 'pino';

let fallback: Logger | undefined;

export function defaultLogger(): Logger {
  fallback ??= pino({ name: 'sluice', level: process.env.SLUICE_LOG_LEVEL ?? 'info' });
  return fallback;
}

export type { Logger };
