// The dashboard's guards: authentication (basic auth or a bearer token, compared in constant
// time), the CSRF token every POST carries with a same-origin check of Origin/Referer, and the
// response headers (a strict Content-Security-Policy with no inline script, nosniff, no framing).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The cookie that keeps a bearer token given once as `?token=` in a browser. */
export const TOKEN_COOKIE = 'sluice_dashboard_token';

/** The Content-Security-Policy of every response: only the dashboard's own script, style and calls. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Whether two secrets are equal, in time that does not depend on where they differ (nor on their lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** A new random CSRF token (one per dashboard: the page reads it from api/session). */
export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Sets the headers every response carries. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

/** The value of a cookie of the request, or undefined. */
function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** What the request proves, checked against the configured credentials. */
export interface AuthConfig {
  auth?: { user: string; password: string } | undefined;
  token?: string | undefined;
}

/** Whether the request may go on: true when no credentials are configured, or it carries valid ones. */
export function isAuthorized(req: IncomingMessage, config: AuthConfig): boolean {
  if (!config.auth && !config.token) return true;
  const header = req.headers.authorization ?? '';
  const space = header.indexOf(' ');
  const scheme = space > 0 ? header.slice(0, space).toLowerCase() : '';
  const value = space > 0 ? header.slice(space + 1).trim() : '';
  let ok = false;
  if (config.auth && scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const userOk = safeEqual(colon >= 0 ? decoded.slice(0, colon) : '', config.auth.user);
    const passOk = safeEqual(colon >= 0 ? decoded.slice(colon + 1) : '', config.auth.password);
    ok = userOk && passOk;
  }
  if (config.token) {
    if (scheme === 'bearer' && safeEqual(value, config.token)) ok = true;
    const kept = cookie(req, TOKEN_COOKIE);
    if (kept !== undefined && safeEqual(kept, config.token)) ok = true;
  }
  return ok;
}

/** The Set-Cookie value that keeps a token given as `?token=` (HttpOnly, SameSite=Strict). */
export function tokenCookie(token: string, secure: boolean): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The origin (`scheme://host[:port]`) of a URL, or undefined when it is not one. */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.origin === 'null' ? undefined : parsed.host;
  } catch {
    return undefined;
  }
}

/**
 * Whether a POST comes from the dashboard's own page: it carries the CSRF token, and its
 * Origin (or, without one, its Referer) names the host it was sent to. A request with neither
 * header (a script, not a browser) passes on the token alone; browsers send Origin with every POST.
 */
export function isSameOriginPost(req: IncomingMessage, csrfToken: string): { ok: true } | { ok: false; why: string } {
  const sent = req.headers['x-csrf-token'];
  if (typeof sent !== 'string' || !safeEqual(sent, csrfToken)) return { ok: false, why: 'missing or wrong X-CSRF-Token header' };
  const host = req.headers['x-forwarded-host'] ?? req.headers.host;
  const from = req.headers.origin ?? req.headers.referer;
  if (from === undefined) return { ok: true };
  if (typeof host !== 'string' || originOf(from) !== host.split(',')[0]!.trim()) {
    return { ok: false, why: 'the request comes from another origin' };
  }
  return { ok: true };
}
