// --help of every role: what it does, the queue, exchange or stream it declares and uses, its options, where
// the connection settings come from, and one example; at once, without connecting to anything.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runApp } from '@rabbit-tutorials/testing';

// The name each app's roles must name in their help.
const NAMES: Record<string, string> = {
  hello: '"hello"', 'task-queue': '"task_queue"', retry: '"retry.', 'fanout-logs': '"logs"', 'direct-logs': '"direct_logs"',
  'topic-logs': '"topic_logs"', 'headers-logs': '"headers_logs"', 'rpc-fib': '"rpc_queue"', 'publisher-confirms': 'durable queue', priority: '"priority_queue"', 'single-active-consumer': '"single_active_queue"',
  'stream-hello': '"hello-nodejs-stream"', 'stream-offset-tracking': '"stream-offset-tracking-javascript"', 'stream-queue': '"hello-nodejs-stream"', 'stream-filter': '"stream-filter-javascript"', 'super-stream': '"invoices"',
  troubleshoot: '',
};
const roles = readdirSync(join(ROOT, 'apps')).flatMap((app) => readdirSync(join(ROOT, 'apps', app, 'src'))
  .filter((file) => /^main\(/m.test(readFileSync(join(ROOT, 'apps', app, 'src', file), 'utf8')))
  .map((file) => [app, file.replace(/\.ts$/, '')] as const));

describe('every role\'s --help', () => {
  it('covers every app', () => {
    expect(new Set(roles.map(([app]) => app))).toEqual(new Set(Object.keys(NAMES)));
    expect(roles.length).toBeGreaterThanOrEqual(38);
  });

  it('each says what it does, what it uses, how to connect, and one example (all roles, six at a time)', async () => {
    for (let i = 0; i < roles.length; i += 6) {
      await Promise.all(roles.slice(i, i + 6).map(async ([app, role]) => {
        const { code, stdout, stderr } = await runApp(app, role, ['--help'], { RABBITMQ_URL: 'amqp://127.0.0.1:1' }); // nothing listens there
        const label = `${app}:${role} --help:\n${stdout}`;
        expect.soft({ code, stderr }, label).toEqual({ code: 0, stderr: '' });
        const lines = stdout.split('\n');
        expect.soft(lines[0], label).toMatch(new RegExp(`^usage: ${role}\\b`));
        expect.soft(lines.length, label).toBeGreaterThanOrEqual(4);
        expect.soft(stdout, label).toContain(NAMES[app]);
        expect.soft(stdout, label).toMatch(new RegExp(`^Example: npx nx run ${app}:${role}\\b`, 'm'));
        expect.soft(lines.at(-1), label).toMatch(/^Connection: RABBITMQ_URL, or RABBITMQ_HOST, .* \.env file in the working directory; all settings: docs\/configuration\.md$/);
      }));
    }
  });
});
