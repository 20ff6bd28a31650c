// How the dashboard answers: JSON bodies, errors with a status and a stable code (a
// SluiceError's code becomes its status), and the static page parts.
import type { ServerResponse } from 'node:http';
import { SluiceError } from '../errors.js';
import type { ErrorResponse } from './api-types.js';

/** An error the dashboard answers with a status and a code (ErrorResponse). */
export class HttpError extends Error {
  /**
   * @param status - the HTTP status.
   * @param code - the ErrorResponse code.
   * @param message - what went wrong, in words.
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Status codes of the SluiceError codes a request can cause. */
const STATUS_OF: Record<string, number> = {
  INVALID_OPTION: 400,
  INVALID_ID: 400,
  JOB_NOT_FOUND: 404,
  JOB_ACTIVE: 409,
  GROUP_ACTIVE: 409,
  REDIS_UNAVAILABLE: 503,
};

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Sends a static text body (the page, its script, its style). */
export function sendText(res: ServerResponse, type: string, text: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Sends an error as ErrorResponse; returns whether it was an unexpected one (to log). */
export function sendError(res: ServerResponse, err: unknown): boolean {
  let body: ErrorResponse;
  let status: number;
  if (err instanceof HttpError) {
    status = err.status;
    body = { error: err.message, code: err.code };
  } else if (err instanceof SluiceError) {
    status = STATUS_OF[err.code] ?? 500;
    body = { error: err.message, code: err.code };
  } else {
    status = 500;
    body = { error: 'internal error', code: 'INTERNAL' };
  }
  if (!res.headersSent) sendJson(res, status, body);
  else res.end();
  return status >= 500;
}
