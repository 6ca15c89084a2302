// npm run view as a program (no browser): it starts on loopback and serves the topology, bad arguments
// and an unreachable management API are one line each.
import { describe, expect, it } from 'vitest';
import { broker, envFor, freePort, management, runApp, startApp, uniqueName, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('npm run view', () => {
  it('serves the page and the vhost\'s topology on 127.0.0.1, and stops on SIGINT with exit 0', async () => {
    const view = startApp('view', 'view', ['--port', '0'], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: broker().managementUrl });
    await view.waitFor(/^View: http:\/\/127\.0\.0\.1:\d+\/\?vhost=/);
    const url = /^View: (\S+)/.exec(view.stdout[0]!)![1]!;
    expect(new URL(url).searchParams.get('vhost')).toBe(vhost.name);
    const page = await fetch(url);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toContain('<script type="module" src="view.js"></script>');
    const topology = await (await fetch(new URL(`/api/topology?vhost=${encodeURIComponent(vhost.name)}`, url))).json() as { queues: unknown[]; exchanges: { name: string }[] };
    expect(topology.queues).toEqual([]);
    expect(topology.exchanges.map((e) => e.name)).toContain('');
    expect((await view.stop('SIGINT')).code).toBe(0);
  });

  it('says in one line when its user cannot see every connection (no monitoring tag)', async () => {
    const api = management();
    const user = uniqueName('viewer');
    await api.createUser(user, 'viewer-password', 'management');
    await api.setPermissions(vhost.name, user);
    try {
      const env = { ...envFor(vhost.name, { username: user, password: 'viewer-password' }), RABBITMQ_MANAGEMENT_URL: broker().managementUrl };
      const view = startApp('view', 'view', ['--port', '0'], env);
      await view.waitFor(/^View: /);
      expect(view.stderr).toContain(`[view] user "${user}" has no monitoring tag: the picture shows its own connections and consumers only (compose: RABBITMQ_USER=inspect)`);
      const end = await view.stop('SIGINT');
      expect(end, view.stderr.join('\n')).toEqual({ code: 0, signal: null });
    } finally {
      await api.deleteUser(user);
    }
  });

  it('a bad port is a usage line (exit 2); a management API that does not answer is one line (exit 1)', async () => {
    const bad = await runApp('view', 'view', ['--port', 'http'], vhost.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --port/);
    const closed = await freePort();
    const down = await runApp('view', 'view', [], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: `http://127.0.0.1:${closed}` });
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toBe(`error: cannot reach the management API at http://127.0.0.1:${closed} (ECONNREFUSED): is the rabbitmq_management plugin on?`);
  });

  it('a bad --host is a usage line, escaped; an address it cannot listen on is its own line, not the broker\'s', async () => {
    const bad = await runApp('view', 'view', ['--host', '\x1b[2Jevil'], vhost.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('error: --host must be an address or a host name (got "\\x1b[2Jevil")');
    const port = await freePort();
    const elsewhere = await runApp('view', 'view', ['--host', '192.0.2.1', '--port', String(port)], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: broker().managementUrl }); // TEST-NET-1: on no machine
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr.trim().split('\n').at(-1)).toBe(`error: cannot listen on 192.0.2.1:${port}: no such address on this machine (--host, --port)`);
  });
});
