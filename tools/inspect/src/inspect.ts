// Prints the queues, exchanges or bindings of the vhost the apps use, through the management HTTP
// API (RABBITMQ_MANAGEMENT_URL, else http://<host>:15672), as rabbitmqctl list_* would.
import { parseArgs } from 'node:util';
import { UsageError, loadConfig, main, printable } from '@rabbit-tutorials/connection';
import { Management, checkSameBroker, managementFromEnv, table } from '@rabbit-tutorials/management';

main('inspect <queues|exchanges|bindings>', async () => {
  const [what, ...extra] = parseArgs({ allowPositionals: true }).positionals;
  if (extra.length > 0 || !['queues', 'exchanges', 'bindings'].includes(what ?? '')) {
    throw new UsageError('say what to list: queues, exchanges or bindings');
  }
  const config = loadConfig();
  const { vhost } = config;
  const api = new Management(managementFromEnv());
  await checkSameBroker(api, config); // the broker the apps use, not another node's on the same machine
  const args = (a: Record<string, unknown>) => (Object.keys(a).length ? JSON.stringify(a) : '');
  // Names and arguments are anyone's text (any client declares queues): escaped before a terminal sees them.
  const print = (headers: string[], rows: (string | number)[][]) =>
    console.log(table(headers, rows.map((row) => row.map((cell) => (typeof cell === 'string' ? printable(cell, 120) : cell)))));

  if (what === 'queues') {
    // Like: rabbitmqctl list_queues name type messages_ready messages_unacknowledged consumers
    const queues = await api.queues(vhost);
    print(['name', 'type', 'messages_ready', 'messages_unacknowledged', 'consumers', 'durable', 'arguments'],
      queues.map((q) => [q.name, q.type ?? 'classic', q.messages_ready ?? 0, q.messages_unacknowledged ?? 0, q.consumers ?? 0,
        String(q.durable), args(q.arguments)]));
  } else if (what === 'exchanges') {
    // Like: rabbitmqctl list_exchanges name type durable
    const exchanges = await api.exchanges(vhost);
    print(['name', 'type', 'durable', 'auto_delete', 'internal'],
      exchanges.map((e) => [e.name || '(default)', e.type, String(e.durable), String(e.auto_delete), String(e.internal)]));
  } else {
    // Like: rabbitmqctl list_bindings source_name destination_name destination_kind routing_key arguments
    const bindings = await api.bindings(vhost);
    print(['source', 'destination', 'destination_kind', 'routing_key', 'arguments'],
      bindings.map((b) => [b.source || '(default)', b.destination, b.destination_type, b.routing_key, args(b.arguments)]));
  }
});
