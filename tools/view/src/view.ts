// npm run view: a live picture of the broker the apps use, in the browser: exchanges, bindings (keys and
// header arguments), queues (type, depth), consumers (prefetch), connections by name, and message
// rates, redrawn every 1.5 s. Same configuration as the apps (RABBITMQ_*, RABBITMQ_MANAGEMENT_URL).
import { parseArgs } from 'node:util';
import { intOption, isLoopback, loadConfig, log, main, untilShutdown } from '@rabbit-tutorials/connection';
import { Management, managementFromEnv } from '@rabbit-tutorials/management';
import { checkPage, startView } from './server.js';

main('view [--vhost NAME] [--port N] [--host ADDRESS]   (default: the apps\' vhost, port 15680, 127.0.0.1)', async () => {
  const { values } = parseArgs({ options: { vhost: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } });
  const port = intOption('port', values.port, 15680, 0, 65535);
  const host = values.host ?? '127.0.0.1';
  const vhost = values.vhost ?? loadConfig().vhost;
  checkPage();
  const api = new Management(managementFromEnv());
  await api.overview(); // the management API answers (one line if not), before a page shows nothing
  if (!isLoopback(host)) log(`listening on ${host}: whoever reaches it sees this broker's topology (not its credentials)`);
  const view = await startView({ api, vhost, host, port });
  console.log(`View: ${view.url}   (Ctrl+C stops it)`);
  await untilShutdown();
  await view.close();
});
