// A memory alarm on the broker blocks publishers (connection.blocked). Runs with the restart tests,
// alone: the alarm blocks every publisher on the broker.
import { afterEach, describe, expect, it } from 'vitest';
import { cannotRestart, rabbitmqctl, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
const alarm = () => rabbitmqctl('set_vm_memory_high_watermark', '0.0000001');
afterEach(async () => {
  if (!cannotRestart()) await rabbitmqctl('set_vm_memory_high_watermark', '0.4'); // RabbitMQ's default
});

describe('publishing blocked by a resource alarm', () => {
  it('a blocked publisher says so, gives up after RABBITMQ_BLOCKED_TIMEOUT_MS with one line, exit 1', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    await alarm();
    const started = Date.now();
    const sent = await runApp('hello', 'send', ['stuck'], { ...vhost.env, RABBITMQ_BLOCKED_TIMEOUT_MS: '1500' });
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(/^\[hello:send\] the broker blocks publishing \(low on memory\): waiting up to 1500 ms for it to clear$/m);
    expect(sent.stderr.trim().split('\n').at(-1)).toBe('error: the broker blocked publishing for 1500 ms (low on memory): it is short of memory or disk; ' +
      'see rabbitmq-diagnostics alarms, or raise RABBITMQ_BLOCKED_TIMEOUT_MS');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('once the alarm clears, the waiting publisher goes on and its message arrives', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    await alarm();
    const sender = startApp('hello', 'send', ['patient'], { ...vhost.env, RABBITMQ_BLOCKED_TIMEOUT_MS: '30000' });
    await sender.waitFor(/the broker blocks publishing/);
    await rabbitmqctl('set_vm_memory_high_watermark', '0.4');
    await sender.waitFor(/the broker unblocked publishing/);
    expect((await sender.exited).code).toBe(0);
    const receiver = startApp('hello', 'receive', [], vhost.env);
    await receiver.waitFor(/Received 'patient'/);
  });
});
