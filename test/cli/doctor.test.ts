// `sluice doctor` spawned as the built bin against the test's own redis-server: it reports the
// server's settings, flags an evicting maxmemory-policy planted with CONFIG SET (exit 1), a stuck
// queue and a group that pins the stream, and says "unknown" where CONFIG and SLOWLOG are refused.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/cli/commands/doctor-server.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';
import { checkBuilt, sluice } from './run-cli.js';

const t = useRedis();

interface Report {
  url: string;
  prefix: string;
  errors: number;
  warnings: number;
  findings: Finding[];
}

async function doctor(...args: string[]): Promise<{ code: number | null; report: Report; text: string }> {
  const common = ['--url', t.url, '--prefix', t.prefix];
  const [json, text] = await Promise.all([sluice(['doctor', ...args, ...common, '--json']), sluice(['doctor', ...args, ...common])]);
  expect(text.code).toBe(json.code);
  return { code: json.code, report: JSON.parse(json.stdout) as Report, text: text.stdout };
}

const find = (r: Report, check: string) => r.findings.filter((f) => f.check === check);

beforeAll(() => checkBuilt());

describe('sluice doctor', { timeout: 180_000 }, () => {
  it("reports the test server's settings, one finding per check", async () => {
    t.newPrefix();
    const { code, report, text } = await doctor();
    const version = ((await t.admin.info('server')).match(/redis_version:(\S+)/) ?? [])[1];
    expect(report.findings.map((f) => f.check)).toEqual([
      'redis-version',
      'maxmemory-policy',
      'persistence',
      'memory',
      'cluster',
      'latency',
      'slow-scripts',
      'queues',
    ]);
    expect(find(report, 'redis-version')[0]).toMatchObject({ severity: 'ok', value: version });
    expect(find(report, 'maxmemory-policy')[0]).toMatchObject({ severity: 'ok', value: 'noeviction' });
    expect(find(report, 'cluster')[0]).toMatchObject({ severity: 'ok', value: 'standalone' });
    expect(find(report, 'latency')[0]!.value).toMatch(/^median \d+\.\d\d ms, max \d+\.\d\d ms over 5 PINGs$/);
    const aof = (await t.admin.config('GET', 'appendonly'))[1];
    expect(find(report, 'persistence')[0]!.value).toMatch(new RegExp(`^aof ${aof === 'yes' ? 'on' : 'off'}`));
    expect(report.errors).toBe(0);
    expect(code).toBe(0);
    expect(text).toMatch(/^ {2}ok +maxmemory-policy +noeviction: nothing is evicted$/m);
    expect(text).toMatch(/^0 error\(s\), \d+ warning\(s\)$/m);
  });

  it('flags an evicting maxmemory-policy as an error, with the fix, and exits 1', async () => {
    t.newPrefix();
    const [, before] = await t.admin.config('GET', 'maxmemory-policy');
    await t.admin.config('SET', 'maxmemory-policy', 'volatile-lru');
    try {
      const { code, report, text } = await doctor();
      expect(code).toBe(1);
      expect(report.errors).toBe(1);
      expect(find(report, 'maxmemory-policy')[0]).toMatchObject({ severity: 'error', value: 'volatile-lru' });
      expect(find(report, 'maxmemory-policy')[0]!.fix).toContain('CONFIG SET maxmemory-policy noeviction');
      expect(text).toMatch(/^ {2}ERROR +maxmemory-policy +volatile-lru: Redis may evict keys/m);
      expect(text).toMatch(/^1 error\(s\)/m);
    } finally {
      await t.admin.config('SET', 'maxmemory-policy', before!);
    }
  });

  it('flags a stuck queue (jobs waiting, nobody consuming) and a group that pins the stream', async () => {
    t.newPrefix();
    const stuck = t.queue('stuck');
    await stuck.add('x', 1);
    const fan = t.queue('fan');
    await fan.createGroup('billing');
    await fan.createGroup('mail');
    await fan.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'x', data: n })));
    let done = 0;
    t.worker('fan', async () => void done++, { group: 'billing' });
    await waitFor(() => done === 5, 10_000, 'billing to run its jobs');

    const quiet = await doctor();
    expect(find(quiet.report, 'stuck-queue')).toEqual([]);
    expect(find(quiet.report, 'pinned-stream')).toEqual([]);

    const { code, report } = await doctor('--stuck-after', '0', '--lag', '3');
    expect(code).toBe(1);
    const stuckFindings = find(report, 'stuck-queue');
    expect(stuckFindings.map((f) => f.severity)).toEqual(['error', 'error']);
    expect(stuckFindings[0]!.message).toBe('queue "fan", group "mail": jobs wait and no worker has ever consumed the group');
    expect(stuckFindings[1]!.message).toContain('queue "stuck", group "default": jobs wait');
    expect(stuckFindings[1]!.fix).toContain('start workers');
    const pinned = find(report, 'pinned-stream');
    expect(pinned).toHaveLength(1);
    expect(pinned[0]).toMatchObject({ severity: 'warning', value: expect.stringMatching(/^5 unread/) });
    expect(pinned[0]!.message).toContain('group "mail" is far behind');
    expect(find(report, 'queues')[0]!.value).toBe('2 checked');
  });

  it('says "unknown" where CONFIG and SLOWLOG are refused (managed Redis), and does not fail', async () => {
    t.newPrefix();
    await t.admin.call('ACL', 'SETUSER', 'managed', 'on', '>managed-pw', '~*', '&*', '+@all', '-config', '-slowlog');
    try {
      const url = t.url.replace('redis://', 'redis://managed:managed-pw@');
      const run = await sluice(['doctor', '--url', url, '--prefix', t.prefix, '--json']);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.url).toBe(url.replace(':managed-pw@', ':***@'));
      // INFO still says the policy; CONFIG's settings and SLOWLOG are unknown
      expect(find(report, 'maxmemory-policy')[0]).toMatchObject({ severity: 'ok', value: 'noeviction' });
      expect(find(report, 'persistence')[0]!.value).toContain('rdb unknown');
      expect(find(report, 'slow-scripts')[0]).toMatchObject({ severity: 'info', value: 'unknown' });
      // and with INFO refused too: every check that needs it is unknown, nothing fails
      await t.admin.call('ACL', 'SETUSER', 'managed', '-info');
      const blind = await sluice(['doctor', '--url', url, '--prefix', t.prefix, '--json']);
      expect(blind.code).toBe(0);
      expect(blind.stderr).toBe('');
      const unknown = (JSON.parse(blind.stdout) as Report).findings.filter((f) => f.value === 'unknown').map((f) => f.check);
      expect(unknown).toEqual(['redis-version', 'maxmemory-policy', 'persistence', 'memory', 'cluster', 'slow-scripts']);
    } finally {
      await t.admin.call('ACL', 'DELUSER', 'managed');
    }
  });
});
