// The stream protocol's side of the connection, for rabbitmq-stream-js-client: where each node's stream
// port is (RABBITMQ_STREAM_PORT), the client's settings, the first node that answers, and the protocol's
// failures said in one line as the AMQP programs say theirs.
import { type Address, BrokerError, ConfigError, type RabbitConfig, describeAddresses, describeAlso, describeError, intVar, isFatal, loadConfig, log, shellQuote, shutdownOnSignal } from '@rabbit-tutorials/connection';

/** The connection settings, and the stream port of the node being tried. */
export interface StreamConfig extends RabbitConfig {
  streamPort: number;
  /** Where to try: each node's stream port, or with one address (a balancer) and several ports, that host at each. */
  streamAddresses: (Address & { streamPort: number })[];
}

/** loadConfig() and RABBITMQ_STREAM_PORT: one port for every node, or one per address (nodes sharing a host). */
export function loadStreamConfig(env: Record<string, string | undefined> = process.env): StreamConfig {
  const config = loadConfig(env);
  const ports = (env.RABBITMQ_STREAM_PORT?.trim() || String(config.tls ? 5551 : 5552)).split(',')
    .map((port) => intVar('RABBITMQ_STREAM_PORT', port.trim(), 0, 1, 65535));
  const nodes = config.addresses.length;
  if (ports.length !== 1 && ports.length !== nodes && nodes !== 1) {
    throw new ConfigError(`RABBITMQ_STREAM_PORT lists ${ports.length} ports for ${nodes} broker addresses: give one port, or one per address`);
  }
  const streamAddresses = nodes === 1 ? ports.map((streamPort) => ({ ...config.addresses[0]!, streamPort }))
    : config.addresses.map((address, i) => ({ ...address, streamPort: ports[ports.length === 1 ? 0 : i]! }));
  return { ...config, streamPort: streamAddresses[0]!.streamPort, streamAddresses };
}

/** The settings for rabbitmq-stream-js-client's connect(): the stream port, and TLS files as text. */
export function streamParams(config: StreamConfig, connectionName?: string) {
  const { tls } = config;
  return {
    hostname: config.hostname, port: config.streamPort, username: config.username, password: config.password, vhost: config.vhost,
    heartbeat: config.heartbeat, connectionName: config.connectionName ?? connectionName,
    ...(tls && { ssl: { ca: tls.ca?.toString(), cert: tls.cert?.toString(), key: tls.key?.toString(), rejectUnauthorized: tls.verify } }),
  };
}

/**
 * Opens a stream connection on the first address that answers: a cluster's nodes in turn. A failure
 * retrying cannot fix (credentials, vhost) ends the search.
 */
export async function tryEachAddress<T>(settings: StreamConfig, open: (node: StreamConfig) => Promise<T>): Promise<T> {
  const all = settings.streamAddresses;
  for (let i = 0; ; i++) {
    const node = { ...settings, ...all[i] };
    try {
      const opened = await open(node);
      shutdownOnSignal(); // connected: from here a signal is a graceful shutdown, as with connect()
      return opened;
    } catch (err) {
      const message = describeError(err, node);
      if (isFatal(err) || i === all.length - 1) {
        const tried = describeAddresses({ ...settings, addresses: all.map(({ hostname, streamPort }) => ({ hostname, port: streamPort })) });
        throw new BrokerError(all.length === 1 ? message : `${message} (tried ${tried})`, true, { cause: err });
      }
      log(`${message}; trying the next address`);
    }
  }
}

/**
 * Waits until a node leads each stream: on a cluster, a stream just declared has no leader for a moment
 * (longer on busy or just restarted nodes), and a consumer or publisher declared then fails ("Stream was
 * not found on any node"), an offset query too.
 */
export async function waitForLeader(client: { queryMetadata(params: { streams: string[] }): Promise<{ streamName: string; leader?: unknown }[]> },
  streams: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leaderless = (await client.queryMetadata({ streams })).filter((stream) => !stream.leader).map((stream) => stream.streamName);
    if (leaderless.length === 0) return;
    if (Date.now() > deadline) throw new BrokerError(`no node leads the stream ${leaderless.join(', ')} after ${timeoutMs / 1000} s: see the nodes' logs`, true);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs `close`; if the broker has not answered it within `ms`, the program ends anyway (with its exit
 * code): rabbitmq-stream-js-client waits for ever for a lost answer.
 */
export async function closeWithin(ms: number, close: () => Promise<unknown>): Promise<void> {
  const timer = setTimeout(() => {
    log(`the broker did not answer the close within ${ms} ms: exiting without it`);
    process.exit();
  }, ms);
  try {
    await close();
  } finally {
    clearTimeout(timer);
  }
}

/** The stream client's failures as one line (or undefined: an error of another kind). */
export function describeStreamError(err: unknown, config?: RabbitConfig): string | undefined {
  // rabbitmq-stream-js-client rejects some calls with the bare response code, others with it in a
  // message; it misreads the answer to an open of a vhost the user may not use (code 12).
  const code = typeof err === 'number' ? err
    : !(err instanceof Error) ? NaN
      : (err as { code?: unknown }).code === 'ERR_BUFFER_OUT_OF_BOUNDS' ? 12
        : Number(/^(?:Unable Authenticate -> |Unable to exchange peer properties |.* command returned error with code )(\d+)/.exec(err.message)?.[1] ?? NaN);
  if (!Number.isNaN(code)) return describeCode(code, config);
  if (!(err instanceof Error)) return undefined;
  const { port, hostname, code: errorCode } = err as { port?: unknown; hostname?: unknown; code?: unknown };
  const stream = config && 'streamPort' in config ? (config as StreamConfig) : undefined;
  const codes = `${String(errorCode)} ${err.message}`;
  if (/\bECONNREFUSED\b/.test(codes) && stream && port === stream.streamPort) {
    return `cannot reach the stream port ${stream.streamPort} of ${stream.hostname}: connection refused ` +
      '(is RabbitMQ running with the stream plugin? rabbitmq-plugins enable rabbitmq_stream; else check RABBITMQ_STREAM_PORT)';
  }
  // The client goes on to the host a node advertises: compose's node names do not resolve outside it.
  const failed = hostname ?? /(?:ENOTFOUND|EAI_AGAIN) (\S+)/.exec(err.message)?.[1];
  if (/\b(ENOTFOUND|EAI_AGAIN)\b/.test(codes) && typeof failed === 'string' && config && failed !== config.hostname && !config.addresses.some((a) => a.hostname === failed)) {
    return `host ${JSON.stringify(failed.slice(0, 100))} not found: a RabbitMQ node advertises it for streams (stream.advertised_host) and this ` +
      'machine cannot resolve it; from outside compose, run the stream programs in compose or set advertised_host (docs/cluster.md)';
  }
  // The client cannot read the close a broker older than 3.11 sends it (key 22).
  if (err.message === 'Unknown response 22') return 'the broker closed the stream connection: rabbitmq-stream-js-client needs RabbitMQ 3.11 or later';
  return undefined;
}
describeAlso(describeStreamError); // main() and describeError() speak of these failures too

/** The response codes a user can cause, said as the AMQP programs say the same failures. */
function describeCode(code: number, given?: RabbitConfig): string {
  const config = given ?? orUndefined(loadStreamConfig); // a failure after connecting: the program's own settings
  const [vhost, user] = [config?.vhost ?? '/', config?.username ?? 'USER'];
  const tag = (name: string) => `(stream protocol ${code}: ${name})`;
  const grant = `rabbitmqctl set_permissions -p ${shellQuote(vhost)} ${shellQuote(user)} '.*' '.*' '.*'`;
  switch (code) {
    case 8: case 9: return `access refused: user "${user}" could not log in${config && 'streamPort' in config ? ` to ${config.hostname}:${config.streamPort}` : ''}: wrong user name or password ${tag('authentication failure')}`;
    case 11: return `access refused: user "${user}" may only connect from localhost (loopback_users): set RABBITMQ_USER and RABBITMQ_PASSWORD to another user ${tag('authentication failure loopback')}`;
    case 12: return `virtual host "${vhost}" refused for user "${user}": if it does not exist, create it with rabbitmqctl add_vhost ${shellQuote(vhost)}; else grant the user access: ${grant} ${tag('virtual host access failure')}`;
    case 16: return `user "${user}" may not use this stream in virtual host "${vhost}": its permissions do not cover it; grant what the program needs with ${grant} ${tag('access refused')}`;
    case 2: return `the stream does not exist in virtual host "${vhost}": start the program that declares it first ${tag('stream does not exist')}`;
    case 6: return `the stream is not available: its leader is down or still starting; try again in a moment ${tag('stream not available')}`;
    case 17: return `the stream exists with other arguments than this program declares: declare it with the same arguments, or delete it if its messages can go ${tag('precondition failed')}`;
    case 7: return `the broker does not offer the SASL mechanism the client asked for ${tag('SASL mechanism not supported')}`;
    case 14: return `a frame was larger than the broker allows ${tag('frame too large')}`;
    case 15: return `the broker failed to serve the request: see its log ${tag('internal error')}`;
    default: return `the broker refused the request ${tag(`code ${code}`)}`;
  }
}

function orUndefined<T>(attempt: () => T): T | undefined {
  try {
    return attempt();
  } catch {
    return undefined;
  }
}
