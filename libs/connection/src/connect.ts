import amqplib from 'amqplib';
import type { ChannelModel, RecoveringChannelModel } from 'amqplib';
import { channel } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import { type RabbitConfig, atAddress, describeAddresses, describeTarget, loadConfig } from './config.js';
import { BrokerError, describeError, isFatal, notAmqp } from './errors.js';
import { connectedAgain, log, shutdownOnSignal, stop } from './program.js';

// Where the next connect() to a list of addresses starts: after the node that failed last.
const startAt = new Map<string, number>();

// Reconnections, for whoever listens (the metrics of libs/telemetry); free when nobody does.
const reconnected = channel('rabbit-tutorials:reconnect');

export interface ConnectOptions {
  /** Connection name in the management UI (RABBITMQ_CONNECTION_NAME wins; default the program's file name). */
  name?: string;
  /**
   * amqplib's recovery: runs after the first connection and after every reconnection, so the
   * channels, topology and consumers it makes come back after a broker restart or a network cut.
   */
  setup?: (connection: ChannelModel) => Promise<void>;
  /** Default: loadConfig() from the environment. */
  config?: RabbitConfig;
}

/**
 * Connects, retrying with backoff up to RABBITMQ_CONNECTION_ATTEMPTS times; what retrying cannot fix
 * (credentials, vhost, TLS trust, a 406 in setup) fails at once with one line. With `setup` the
 * connection recovers by itself once connected, for ever, and says so on stderr.
 */
export function connect(options: ConnectOptions & Required<Pick<ConnectOptions, 'setup'>>): Promise<RecoveringChannelModel>;
export function connect(options?: ConnectOptions): Promise<ChannelModel>;
export async function connect(options: ConnectOptions = {}): Promise<ChannelModel | RecoveringChannelModel> {
  const settings = options.config ?? loadConfig();
  // A cluster's nodes, in turn: every attempt and every reconnection goes to the next address, and a
  // later connect() starts after the node the last one used.
  const list = describeAddresses(settings);
  let node = startAt.get(list) ?? 0;
  let config = atAddress(settings, node);
  const nextAddress = () => {
    config = atAddress(settings, ++node);
    startAt.set(list, node % settings.addresses.length);
    Object.assign(url, { hostname: config.hostname, port: config.port }); // amqplib reads these at each attempt
  };
  // The next node at once; the backoff (RABBITMQ_RETRY_DELAY_MS, doubling) after a round of them all.
  const nodes = settings.addresses.length;
  const delayBefore = (attempt: number) => {
    const round = Math.floor((attempt - 1) / nodes);
    return (attempt - 1) % nodes === 0 && round > 0 ? Math.min(30_000, settings.retryDelayMs * 2 ** (round - 1)) : 0;
  };
  // The last attempt's failure; with several addresses, naming the ones tried (fewer attempts than addresses: not all).
  const first = node;
  const exhausted = (error: BrokerError, cause: unknown) => {
    if (nodes === 1) return error;
    const tried = Math.min(settings.connectionAttempts, nodes);
    const which = describeAddresses({ ...settings, addresses: Array.from({ length: tried }, (_, i) => settings.addresses[(first + i) % nodes]!) });
    const of = tried < nodes ? `; ${nodes - tried} more not tried: raise RABBITMQ_CONNECTION_ATTEMPTS` : '';
    return new BrokerError(`${error.message} (after ${settings.connectionAttempts} attempts over ${which}${of})`, false, { cause });
  };
  // Any connect or declare failure as one line that keeps its cause.
  const explain = (err: unknown) => (err instanceof BrokerError ? err : new BrokerError(describeError(err, config), isFatal(err), { cause: err }));
  const { tls } = config;
  const url = {
    protocol: tls ? 'amqps' : 'amqp', hostname: config.hostname, port: config.port, username: config.username, password: config.password,
    vhost: encodeURIComponent(config.vhost), // amqplib unescapes the vhost it is given
    heartbeat: config.heartbeat, frameMax: config.frameMax, channelMax: config.channelMax,
  };
  const socket = {
    noDelay: true, // without it, Nagle's algorithm holds small frames back: request/reply gets ~80x slower
    timeout: config.connectTimeoutMs,
    clientProperties: { connection_name: config.connectionName ?? options.name ?? basename(process.argv[1] ?? 'rabbit-tutorials', '.ts') },
    ...(tls && { ca: tls.ca, cert: tls.cert, key: tls.key, passphrase: tls.passphrase, rejectUnauthorized: tls.verify, servername: tls.servername }),
  };
  if (tls && !tls.verify) log('warning: RABBITMQ_SSL_VERIFY is off: the broker certificate is not checked, anyone in between can read everything');
  // A connection that was open and is cut is not a handshake problem: say what it is.
  const lost = (err: unknown) => {
    const code = /\b(ECONNRESET|EPIPE)\b/.exec(String((err as { code?: unknown })?.code ?? ''))?.[1];
    return code ? `the connection to ${describeTarget(config)} was cut (${code}): the node went down, or the network between` : explain(err).message;
  };
  const onError = (err: unknown) => log(`connection error: ${lost(err)}`); // unhandled, it would crash the process
  // A port that is not AMQP (the management UI's 15672 for 5672...) is said at once, not retried: first
  // for RabbitMQ's other well-known ports, then for any port whose handshake went wrong.
  const wrongPort = async (known: boolean, at = config) => {
    const what = await notAmqp(at, known);
    if (what) throw new BrokerError(what, true);
  };
  for (let i = 0; i < settings.addresses.length; i++) await wrongPort(true, atAddress(settings, i));
  // amqplib declares a silent broker dead after two silent checks, one per heartbeat interval: up to
  // three intervals. RabbitMQ's rule is two missed heartbeats (it sends one every half interval):
  // close a connection that heard nothing for two intervals, so a frozen broker is noticed in time.
  const watchSilence = (model: ChannelModel) => {
    const { stream, heartbeat } = model.connection as unknown as { stream?: Socket; heartbeat?: number };
    if (!stream || !heartbeat) return; // another amqplib, or heartbeats off: amqplib's own check stays
    let heard = Date.now();
    stream.on('data', () => (heard = Date.now()));
    const check = setInterval(() => {
      if (Date.now() - heard > 2 * heartbeat * 1000) stream.destroy(new Error('Heartbeat timeout'));
    }, 250).unref();
    stream.once('close', () => clearInterval(check));
  };
  // A memory or disk alarm blocks every publishing connection: say so, and give up after a while
  // instead of hanging (the program ends with this line; its unconfirmed messages were not sent).
  const watchBlocked = <T extends ChannelModel | RecoveringChannelModel>(connection: T): T => {
    let timer: NodeJS.Timeout | undefined;
    connection.on('blocked', (reason: string) => {
      log(`the broker blocks publishing (${reason}): waiting up to ${config.blockedTimeoutMs} ms for it to clear`);
      timer ??= setTimeout(() => {
        stop(`the broker blocked publishing for ${config.blockedTimeoutMs} ms (${reason}): it is short of memory or disk; ` +
          'see rabbitmq-diagnostics alarms, or raise RABBITMQ_BLOCKED_TIMEOUT_MS');
        void connection.close().catch(() => undefined);
        // A blocked broker no longer reads this socket, so it may never finish closing: do not wait on it.
        setTimeout(() => process.exit(), 2000).unref();
      }, config.blockedTimeoutMs);
    });
    connection.on('unblocked', () => {
      clearTimeout(timer);
      timer = undefined;
      log('the broker unblocked publishing');
    });
    return connection;
  };
  if (!options.setup) {
    for (let attempt = 1; ; attempt++) {
      // amqplib's timeout is for a silent socket; this one bounds the whole TCP + TLS + AMQP handshake.
      const opening = amqplib.connect(url, socket);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('handshake timed out'), { code: 'ETIMEDOUT' })), config.connectTimeoutMs);
      });
      try {
        // Without recovery an error ends the program, and the call that fails next ("channel closed")
        // would say less: this error is the program's one line (main() prints it).
        const connection = (await Promise.race([opening, deadline])).on('error', (err: unknown) => stop(lost(err), { lost: true }));
        // The next connect() of this program starts at another node: this one's connection may fail, or stall
        // (a frozen node: the program gives up on it and connects again).
        startAt.set(list, (node + 1) % settings.addresses.length);
        connectedAgain(); // a program that connects again (many-tasks) is past the loss of the old connection
        watchSilence(connection);
        return watchBlocked(connection);
      } catch (err) {
        opening.then((late) => late.close(), () => undefined).catch(() => undefined); // if it ever opens
        const error = explain(err);
        if (attempt <= settings.addresses.length && !error.fatal) await wrongPort(false); // nothing listening: the probe says nothing either
        if (error.fatal) throw error;
        if (attempt >= config.connectionAttempts) throw exhausted(error, err);
        const delay = delayBefore(attempt + 1);
        log(`connection attempt ${attempt}/${config.connectionAttempts} failed: ${error.message}; ${delay ? `retrying in ${delay} ms` : 'trying the next address'}`);
        nextAddress();
        await new Promise((resolve) => setTimeout(resolve, delay));
      } finally {
        clearTimeout(timer);
      }
    }
  }
  const connection = await amqplib.connect(url, {
    ...socket,
    recovery: {
      initialDelay: config.retryDelayMs, maxDelay: 30_000, initialMaxRetries: config.connectionAttempts - 1, maxRetries: Infinity,
      // A reconnection goes to the next node first (the one that dropped us is likely down).
      ...(nodes > 1 && { calculateDelay: (attempt: number) => (attempt % nodes === 0 ? delayBefore(attempt + 1) : 0) }),
      waitForConnect: false, // so the first attempt's events reach the listeners below
      setup: async (connection: ChannelModel) => {
        // amqplib listens for this connection's errors once setup has succeeded: a node that goes down
        // during setup would crash the process. The failure reaches us anyway, as connect-failed.
        connection.on('error', () => undefined);
        watchSilence(connection);
        shutdownOnSignal(); // connected: from here a signal is a graceful shutdown, even before untilShutdown()
        await options.setup!(connection);
      },
    },
  });
  let connected = false;
  let fatal: BrokerError | undefined;
  watchBlocked(connection).on('error', onError);
  connection.on('disconnect', (err: unknown) => {
    log(`connection lost: ${lost(err)}; reconnecting${settings.addresses.length > 1 ? ' (to the next address)' : ''}`);
    nextAddress();
  });
  connection.on('reconnect-scheduled', ({ delay }: { delay: number }) => delay > 0 && log(`retrying in ${delay} ms`));
  connection.on('connect', () => {
    if (connected) {
      log(`reconnected to ${describeTarget(config)}; topology and consumers restored`);
      reconnected.publish({ target: describeTarget(config) });
    }
    connected = true;
  });
  connection.on('connect-failed', (err: unknown) => {
    const error = explain(err);
    if (!error.fatal) {
      log(`connection failed: ${error.message}`);
      return nextAddress();
    }
    // Retrying cannot fix this: stop now; untilShutdown() ends the program with this line.
    fatal = error;
    connection.emit('failed', error);
    void connection.close();
  });
  try {
    await connection.waitForConnect();
  } catch (err) {
    throw fatal ?? exhausted(explain(err), err);
  }
  log(`connected to ${describeTarget(config)}`);
  return connection;
}

