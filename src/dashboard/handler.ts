// createDashboard: the dashboard as a Node request handler `(req, res, next?)`, to serve with
// node:http (server.ts) or mount in a framework (`app.use('/sluice', dashboard)`). It serves
// the page, its script and style, and the JSON API; checks credentials on every request and,
// on every POST, read-only mode, the CSRF token and the origin.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROUTES, type Route } from './api-routes.js';
import { createMetricsHandler, type MetricsHandler } from '../metrics/handler.js';
import { DashboardContext } from './context.js';
import { HttpError, sendError, sendJson, sendText } from './http-replies.js';
import { resolveDashboardOptions, type DashboardOptions } from './options.js';
import { PAGE_HTML } from './page-html.js';
import { PAGE_CSS } from './page-css.js';
import { PAGE_SCRIPT } from './page-script.js';
import { isAuthorized, isSameOriginPost, setSecurityHeaders, tokenCookie } from './security.js';

/** A dashboard: a Node request handler (express-style `next` optional) that can be closed. */
export interface DashboardHandler {
  /**
   * Answers a request. Mounted in express, `next` is called for paths outside `basePath`; without
   * `next` they get 404.
   */
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Closes the dashboard's Queues, and its Redis connection when it made it. */
  close(): Promise<void>;
}

/** Static parts of the page, by path. */
const STATIC: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html', body: PAGE_HTML },
  '/app.js': { type: 'text/javascript', body: PAGE_SCRIPT },
  '/app.css': { type: 'text/css', body: PAGE_CSS },
};

/** The route matching a method and path segments, with its parameters. */
function match(method: string, segments: string[]): { route: Route; params: Record<string, string> } | 'method' | undefined {
  let wrongMethod = false;
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const same = route.pattern.every((p, i) => {
      if (!p.startsWith(':')) return p === segments[i];
      params[p.slice(1)] = segments[i]!;
      return true;
    });
    if (!same) continue;
    if (route.method === method) return { route, params };
    wrongMethod = true;
  }
  return wrongMethod ? 'method' : undefined;
}

/** The path segments, decoded (400 for a malformed escape). */
function segmentsOf(path: string): string[] {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'malformed path');
  }
}

/**
 * Makes a dashboard of the queues under a prefix: the page and its JSON API (docs/dashboard.md).
 * It makes (or uses the client given as) one Redis connection and one Queue per queue shown.
 *
 * @param opts - where Redis is, the prefix, read-only mode, credentials, basePath ({@link DashboardOptions}).
 * @returns a request handler for node:http or express, with `close()`.
 * @throws {InvalidOptionError} an option is wrong.
 * @example
 * ```ts
 * import express from 'express';
 * import { createDashboard } from 'sluice';
 *
 * const dashboard = createDashboard({ connection: 'redis://127.0.0.1:6379', auth: { user: 'ops', password } });
 * const app = express();
 * app.use('/sluice', dashboard);
 * ```
 */
export function createDashboard(opts: DashboardOptions): DashboardHandler {
  const options = resolveDashboardOptions(opts);
  const ctx = new DashboardContext(options);
  let metrics: MetricsHandler | undefined;

  const answer = async (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    let path = url.pathname;
    if (options.basePath) {
      if (path !== options.basePath && !path.startsWith(`${options.basePath}/`)) {
        if (next) return next();
        throw new HttpError(404, 'NOT_FOUND', 'not found');
      }
      path = path.slice(options.basePath.length) || '/';
    }
    setSecurityHeaders(res);
    const query = url.searchParams;
    const givenToken = query.get('token');
    if (options.token && givenToken !== null && req.method === 'GET' && path === '/') {
      // a browser given the token once: keep it in a cookie, and take it out of the address bar
      res.setHeader('Set-Cookie', tokenCookie(givenToken, isHttps(req)));
      res.statusCode = 303;
      res.setHeader('Location', pageUrl(req));
      return void res.end();
    }
    if (!isAuthorized(req, options)) {
      if (options.auth) res.setHeader('WWW-Authenticate', 'Basic realm="sluice dashboard", charset="UTF-8"');
      throw new HttpError(401, 'UNAUTHORIZED', 'credentials required');
    }
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      // Prometheus's scrape of the same queues (docs/metrics.md), behind the same credentials
      metrics ??= createMetricsHandler({ connection: ctx.client, prefix: options.prefix });
      return metrics(req, res);
    }
    const file = STATIC[path];
    if (file && (req.method === 'GET' || req.method === 'HEAD')) {
      if (path === '/' && !originalPath(req).endsWith('/')) {
        // relative links of the page need the trailing slash
        res.statusCode = 308;
        res.setHeader('Location', pageUrl(req));
        return void res.end();
      }
      return sendText(res, file.type, file.body);
    }
    const found = match(req.method ?? 'GET', segmentsOf(path));
    if (found === undefined) throw new HttpError(404, 'NOT_FOUND', 'not found');
    if (found === 'method') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'method not allowed');
    if (found.route.method === 'POST') {
      if (options.readOnly) throw new HttpError(403, 'READ_ONLY', 'the dashboard is read-only');
      const origin = isSameOriginPost(req, ctx.csrfToken);
      if (!origin.ok) throw new HttpError(403, 'CSRF', `refused: ${origin.why}`);
    }
    sendJson(res, 200, await found.route.run(ctx, { params: found.params, query, req }));
  };

  const handler = ((req, res, next) => {
    answer(req, res, next).catch((err: unknown) => {
      if (sendError(res, err)) options.logger?.error({ err, url: req.url }, 'dashboard request failed');
    });
  }) as DashboardHandler;
  handler.close = async () => {
    await metrics?.close();
    await ctx.close();
  };
  return handler;
}

/** The request's path as the client sent it (express strips its mount path from req.url). */
function originalPath(req: IncomingMessage): string {
  const original = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  return original.split('?')[0]!;
}

/** The page's own address: the path sent, with a trailing slash and no query. */
function pageUrl(req: IncomingMessage): string {
  // one leading slash: never a protocol-relative address (`//host`) that leaves the dashboard
  const path = `/${originalPath(req).replace(/^\/+/, '')}`;
  return path.endsWith('/') ? path : `${path}/`;
}

function isHttps(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}
