// The dashboard's guards that need no Redis: which addresses count as loopback, the
// constant-time comparison, and the checks of createDashboard's options.
import { describe, expect, it } from 'vitest';
import { createDashboard, DashboardExposedError, InvalidOptionError, startDashboard, UnknownOptionError } from '../../src/index.js';
import { isLoopback } from '../../src/dashboard/server.js';
import { safeEqual } from '../../src/dashboard/security.js';

describe('dashboard guards', () => {
  it('knows loopback addresses from others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '128.0.0.1']) expect(isLoopback(host)).toBe(false);
  });

  it('compares secrets whatever their lengths', () => {
    expect(safeEqual('s3cret', 's3cret')).toBe(true);
    expect(safeEqual('s3cret', 's3creT')).toBe(false);
    expect(safeEqual('s3cret', 's3cret-longer')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });

  it('refuses wrong options before it connects', async () => {
    const connection = 'redis://127.0.0.1:1';
    expect(() => createDashboard({ connection, readonly: true } as never)).toThrow(UnknownOptionError);
    expect(() => createDashboard({ connection, auth: { user: 'a:b', password: 'x' } })).toThrow(InvalidOptionError);
    expect(() => createDashboard({ connection, token: 'short' })).toThrow(/16 characters/);
    expect(() => createDashboard({ connection, refreshMs: 10_000 })).toThrow(/refreshMs/);
    expect(() => createDashboard({ connection, prefix: 'bad prefix' })).toThrow(InvalidOptionError);
    await expect(startDashboard({ connection, host: '::' })).rejects.toBeInstanceOf(DashboardExposedError);
    await expect(startDashboard({ connection, host: '10.0.0.5' })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(startDashboard({ connection, port: 70_000 })).rejects.toThrow(/port/);
  });
});
