// One error, one line: what the broker says when it refuses a publish or a declare, and nothing after
// it ("channel closed"). In the broker-changing group: it lowers the broker's max_message_size a while.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppProcess, ROOT, brokerAtLeast, cannotRestart, envFor, management, rabbitmqctl, runApp, uniqueName, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('hello send: one error, one line', () => {
  it('a body over the broker\'s max_message_size', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    if (await brokerAtLeast(4, 0)) {
      // RabbitMQ 4 refuses bodies over 16 MiB by default (3.x: 128 MiB), and reads the setting only at boot.
      const limit = 16 * 1024 * 1024;
      for (const [size, code] of [[limit, 0], [limit + 1, 1]] as const) {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/hello/src/send.ts'), '-'],
          { env: { ...process.env, ...vhost.env }, stdio: ['pipe', 'pipe', 'pipe'] });
        child.stdin.end(Buffer.alloc(size, 'x'));
        const sent = new AppProcess(child, 'hello:send');
        expect((await sent.exited).code, sent.stderr.join('\n')).toBe(code);
        if (code) expect(sent.stderr).toEqual([`error: message size ${limit + 1} is larger than configured max size ${limit} (406 PRECONDITION_FAILED)`]);
      }
      return;
    }
    // Before 4.0 the limit can be lowered while the broker runs: a body as one argument stays under the
    // kernel's 128 KiB per argument.
    const limit = 64 * 1024;
    const before = (await rabbitmqctl('eval', 'application:get_env(rabbit, max_message_size).')).trim();
    await rabbitmqctl('eval', `application:set_env(rabbit, max_message_size, ${limit}).`);
    try {
      const body = 'x'.repeat(limit + 1);
      for (const [app, role] of [['hello', 'send'], ['task-queue', 'new-task']]) {
        const sent = await runApp(app!, role!, [body.slice(0, 1)], vhost.env); // the limit applies to bodies only: fine
        expect(sent.code, sent.stderr).toBe(0);
        const big = await runApp(app!, role!, [body], vhost.env);
        expect(big.code).toBe(1);
        expect(big.stderr.split('\n')).toEqual([`error: message size ${limit + 1} is larger than configured max size ${limit} (406 PRECONDITION_FAILED)`]);
      }
    } finally {
      const previous = /^\{ok,(\d+)\}$/.exec(before)?.[1];
      await rabbitmqctl('eval', previous ? `application:set_env(rabbit, max_message_size, ${previous}).` : 'application:unset_env(rabbit, max_message_size).');
    }
  });

  it('a user without configure permission on the queue', async () => {
    const user = { username: uniqueName('noconf'), password: uniqueName('pw') };
    const api = management();
    await api.createUser(user.username, user.password);
    await api.setPermissions(vhost.name, user.username, '^$', '.*', '.*');
    try {
      const sent = await runApp('hello', 'send', ['x'], envFor(vhost.name, user));
      expect(sent.code).toBe(1);
      expect(sent.stderr.split('\n')).toHaveLength(1);
      expect(sent.stderr).toMatch(/^error: .*access to queue 'hello' in vhost '.*' refused for user '.*'.*\(403 ACCESS_REFUSED\)$/);
    } finally {
      await api.deleteUser(user.username);
    }
  });
});
