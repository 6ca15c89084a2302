// npm run broker: a private RabbitMQ node from the local rabbitmq-server (no Docker needed), with
// TLS and the management UI, on 127.0.0.1 only, on the standard ports when they are free (or the
// ones given, so a restarted broker comes back where the running apps are retrying). Runs until
// Ctrl+C, then stops and removes it. The same code starts the tests' broker. With --nodes 3, a
// cluster of three such nodes (docs/cluster.md): the first node takes the ports given, the others the
// next ones up.
import { parseArgs } from 'node:util';
import { createLocalBroker, destroyLocalBroker, destroyLocalCluster, hasLocalRabbitmq, launchLocalCluster, nodesUrl, rabbitmqctl, startLocalBroker } from '@rabbit-tutorials/broker';
import { intOption, log, main } from '@rabbit-tutorials/connection';

main('broker [--nodes N] [--port N] [--tls-port N] [--management-port N] [--stream-port N] [--prometheus-port N]', async () => {
  const { values } = parseArgs({ options: {
    nodes: { type: 'string' },
    port: { type: 'string' }, 'tls-port': { type: 'string' }, 'management-port': { type: 'string' }, 'stream-port': { type: 'string' },
    'prometheus-port': { type: 'string' },
  } });
  const nodes = values.nodes === undefined ? 1 : intOption('nodes', values.nodes, 1, 1, 9);
  const port = (name: string, value?: string) => (value === undefined ? undefined : intOption(name, value, 0, 1, 65535));
  const requiredPorts = { amqp: port('port', values.port), amqps: port('tls-port', values['tls-port']), management: port('management-port', values['management-port']),
    stream: port('stream-port', values['stream-port']), prometheus: port('prometheus-port', values['prometheus-port']) };
  if (!hasLocalRabbitmq()) throw new Error('rabbitmq-server is not installed (apt-get install rabbitmq-server), or use Docker: docker compose -f infra/docker-compose.yml up rabbitmq');
  if (nodes > 1) return runCluster(nodes, requiredPorts);
  const standard = { amqp: 5672, amqps: 5671, management: 15672, stream: 5552, streamTls: 5551, prometheus: 15692 };
  const spec = await createLocalBroker({ ports: standard, requiredPorts });
  sayMoved(standard, spec.ports, requiredPorts);
  log(`starting ${spec.nodeName} (data in ${spec.dir})`);
  await startLocalBroker(spec);
  // The classic tutorial programs connect to the vhost "demo": guest may use it as it uses "/".
  await rabbitmqctl(spec, ['add_vhost', 'demo']);
  await rabbitmqctl(spec, ['set_permissions', '-p', 'demo', 'guest', '.*', '.*', '.*']);
  const { ports, certs } = spec;
  console.log(`RabbitMQ is up. For the apps, in this shell or in .env:

  RABBITMQ_URL=amqp://guest:guest@127.0.0.1:${ports.amqp}/
  RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:${ports.management}

TLS:  RABBITMQ_URL=amqps://guest:guest@localhost:${ports.amqps}/  RABBITMQ_SSL_CA=${certs.ca}
      (client certificate for mutual TLS: ${certs.clientCert} and ${certs.clientKey})
Management UI: http://127.0.0.1:${ports.management} (guest / guest)
Streams (rabbitmq_stream): RABBITMQ_STREAM_PORT=${ports.stream} (TLS: ${ports.streamTls})
Broker metrics for Prometheus (rabbitmq_prometheus): http://127.0.0.1:${ports.prometheus}/metrics
Vhosts: / and demo (the classic tutorial programs' vhost: RABBITMQ_VHOST=demo)

Ctrl+C stops it and deletes its data.`);
  await untilCtrlC();
  log('stopping and removing its data (Ctrl+C again waits for that)');
  await destroyLocalBroker(spec);
});

/** Says which standard ports were taken (often by another RabbitMQ, the system's) and where the node listens instead. */
function sayMoved(standard: Record<string, number>, used: Record<string, number>, required: Record<string, number | undefined>, node = 'it') {
  const names: Record<string, string> = { amqp: 'AMQP', amqps: 'AMQP over TLS', management: 'management', stream: 'stream', streamTls: 'stream over TLS', prometheus: 'Prometheus' };
  const moved = Object.entries(standard).filter(([name, port]) => required[name] === undefined && used[name] !== port).map(([name, port]) => `${names[name]} ${port} -> ${used[name]}`);
  if (moved.length > 0) log(`port(s) in use (another RabbitMQ?), so ${node} listens elsewhere: ${moved.join(', ')}; --port, --tls-port, --management-port, --stream-port and --prometheus-port choose them`);
}

/** Resolves on Ctrl+C (or SIGTERM). Signal listeners alone do not keep Node running: hold the event loop open. */
async function untilCtrlC(): Promise<void> {
  const keepAlive = setInterval(() => undefined, 60_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  // The clean-up runs to its end, however fast it is: a second Ctrl+C waits for it, up to the exit.
  process.on('SIGINT', () => undefined).on('SIGTERM', () => undefined);
}

/** --nodes N: a cluster of private nodes, each on the next ports up; the same Ctrl+C clean-up. */
async function runCluster(size: number, required: Record<string, number | undefined>) {
  const plus = (port: number | undefined, i: number) => (port === undefined ? undefined : port + i);
  log(`starting a cluster of ${size} nodes`);
  const standard = (i: number) => ({ amqp: 5672 + i, management: 15672 + i, stream: 5552 + i, prometheus: 15692 + i });
  const cluster = await launchLocalCluster({
    size,
    ports: standard,
    requiredPorts: (i) => ({ amqp: plus(required.amqp, i), amqps: plus(required.amqps, i), management: plus(required.management, i),
      stream: plus(required.stream, i), prometheus: plus(required.prometheus, i) }),
  });
  cluster.nodes.forEach((node, i) => sayMoved(standard(i), node.ports, required, node.nodeName));
  const [first] = cluster.nodes;
  await rabbitmqctl(first!, ['add_vhost', 'demo']);
  await rabbitmqctl(first!, ['set_permissions', '-p', 'demo', 'guest', '.*', '.*', '.*']);
  const row = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd([34, 8, 12, 8].at(i) ?? 0)).join('')}`.trimEnd();
  console.log(`A RabbitMQ cluster of ${size} nodes is up. For the apps, in this shell or in .env:

  RABBITMQ_URL=${nodesUrl(cluster.nodes)}
  RABBITMQ_STREAM_PORT=${cluster.nodes.map((n) => n.ports.stream).join(',')}
  RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:${first!.ports.management}

${row(['node', 'AMQP', 'management', 'stream', 'data'])}
${cluster.nodes.map((n) => row([n.nodeName, String(n.ports.amqp), String(n.ports.management), String(n.ports.stream), n.dir])).join('\n')}

Every node takes every client; quorum queues and streams keep a replica on each node.
Cluster status: RABBITMQ_ERLANG_COOKIE=$(cat ${first!.dir}/cookie) rabbitmqctl -n ${first!.nodeName} cluster_status
Vhosts: / and demo (the classic tutorial programs' vhost: RABBITMQ_VHOST=demo)

Ctrl+C stops the nodes and deletes their data.`);
  await untilCtrlC();
  log('stopping the nodes and removing their data (Ctrl+C again waits for that)');
  await destroyLocalCluster(cluster);
}
