import { describe, expect, it } from 'vitest';
import { runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('fanout-logs', () => {
  it('every receiver gets every message; receivers exit 0 on SIGTERM', async () => {
    const receivers = [1, 2, 3].map(() => startApp('fanout-logs', 'receive', [], vhost.env));
    for (const r of receivers) await r.waitFor(/Waiting for logs/);
    expect(await runApp('fanout-logs', 'emit', ['first'], vhost.env)).toMatchObject({ code: 0, stdout: ' [x] Sent first' });
    expect((await runApp('fanout-logs', 'emit', [], vhost.env)).code).toBe(0);
    for (const r of receivers) {
      await r.waitFor(/^ \[x\] info: Hello World!$/);
      expect(r.stdout.filter((l) => l.startsWith(' [x]'))).toEqual([' [x] first', ' [x] info: Hello World!']);
    }
    for (const r of receivers) expect((await r.stop('SIGTERM')).code).toBe(0);
  });

  it('with no receiver the message goes nowhere, and the emitter says so (mandatory, returned)', async () => {
    const alone = await runApp('fanout-logs', 'emit', ['unheard'], vhost.env);
    expect(alone).toMatchObject({ code: 0, stdout: ' [x] Sent unheard' });
    expect(alone.stderr).toMatch(/^\[fanout-logs:emit\] no queue is bound to exchange 'logs': nobody received that message$/m);
    const receiver = startApp('fanout-logs', 'receive', [], vhost.env);
    await receiver.waitFor(/Waiting for logs/);
    const heard = await runApp('fanout-logs', 'emit', ['heard'], vhost.env);
    expect(heard.stderr).not.toMatch(/nobody received/);
    await receiver.waitFor(/^ \[x\] heard$/);
  });
});
