// npm run view: a live picture of the broker the apps use, in the browser: exchanges, bindings (keys and
// header arguments), queues (type, depth), consumers (prefetch), connections by name, and message
// rates, redrawn every 1.5 s. Same configuration as the apps (RABBITMQ_*, RABBITMQ_MANAGEMENT_URL).
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { BrokerError, UsageError, asciiHost, intOption, isLoopback, loadConfig, log, main, printable, untilShutdown } from '@rabbit-tutorials/connection';
import { Management, managementFromEnv } from '@rabbit-tutorials/management';
import { checkPage, startView } from './server.js';

main('view [--vhost NAME] [--port N] [--host ADDRESS]   (default: the apps\' vhost, port 15680, 127.0.0.1)', async () => {
  const { values } = parseArgs({ options: { vhost: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } });
  const port = intOption('port', values.port, 15680, 0, 65535);
  const given = values.host ?? '127.0.0.1';
  // A host name as the broker's host is read (an IDN as punycode), or an address.
  const host = isIP(given) ? given : asciiHost(given);
  if (!host) throw new UsageError(`--host must be an address or a host name (got "${printable(given, 60)}")`);
  const vhost = values.vhost ?? loadConfig().vhost;
  checkPage();
  const api = new Management(managementFromEnv());
  // The management API answers (one line if not), before a page shows nothing; and whether it shows everything:
  // without the monitoring (or administrator) tag, a user sees only its own connections and consumers.
  const me = await api.request<{ name: string; tags: string[] | string }>('GET', '/whoami');
  const tags = Array.isArray(me.tags) ? me.tags : me.tags.split(',');
  if (!tags.some((tag) => tag === 'monitoring' || tag === 'administrator')) {
    log(`user "${printable(me.name, 60)}" has no monitoring tag: the picture shows its own connections and consumers only (compose: RABBITMQ_USER=inspect)`);
  }
  if (!isLoopback(host)) log(`listening on ${host}: whoever reaches it sees this broker's topology (not its credentials)`);
  const view = await startView({ api, vhost, host, port }).catch((err: NodeJS.ErrnoException) => {
    // Said as what it is, this program's own address: not taken for the broker being unreachable.
    const why = { EADDRINUSE: 'the port is in use', EADDRNOTAVAIL: 'no such address on this machine', EACCES: 'not permitted',
      ENOTFOUND: 'the name does not resolve', EAI_AGAIN: 'the name does not resolve' }[err.code ?? ''] ?? printable(err.message, 100);
    throw new BrokerError(`cannot listen on ${host}:${port}: ${why} (--host, --port)`, true);
  });
  const shutdown = untilShutdown(); // Ctrl+C is caught before the address is printed: whoever reads it may stop it at once
  console.log(`View: ${view.url}   (Ctrl+C stops it)`);
  await shutdown;
  await view.close();
});
