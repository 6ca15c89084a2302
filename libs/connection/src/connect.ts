import amqplib from 'amqplib';
import type { ChannelModel, Options, RecoveringChannelModel } from 'amqplib';
import { basename } from 'node:path';
import { type RabbitConfig, describeTarget, loadConfig } from './config.js';
import { BrokerError, describeError, isFatal } from './errors.js';
import { log } from './program.js';

const MAX_RETRY_DELAY_MS = 30_000;

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

/** amqplib's connect arguments for a config. */
export function amqplibOptions(config: RabbitConfig, name?: string): [Options.Connect, Record<string, unknown>] {
  const url: Options.Connect = {
    protocol: config.tls ? 'amqps' : 'amqp', hostname: config.hostname, port: config.port,
    username: config.username, password: config.password,
    // amqplib unescapes the vhost it is given, so hand it over escaped.
    vhost: encodeURIComponent(config.vhost),
    heartbeat: config.heartbeat, frameMax: config.frameMax, channelMax: config.channelMax,
  };
  const tls = config.tls && {
    ca: config.tls.ca, cert: config.tls.cert, key: config.tls.key, passphrase: config.tls.passphrase,
    rejectUnauthorized: config.tls.verify, ...(config.tls.servername ? { servername: config.tls.servername } : {}),
  };
  return [url, {
    // Without noDelay, Nagle's algorithm holds small frames back: request/reply gets ~80x slower.
    noDelay: true,
    timeout: config.connectTimeoutMs,
    clientProperties: { connection_name: config.connectionName ?? name ?? basename(process.argv[1] ?? 'rabbit-tutorials', '.ts') },
    ...tls,
  }];
}

/** Any connect or declare failure as one line that keeps its cause. */
export function explain(err: unknown, config: RabbitConfig): BrokerError {
  if (err instanceof BrokerError) return err;
  const message = describeError(err, { target: describeTarget(config), user: config.username, vhost: config.vhost, host: config.hostname });
  return new BrokerError(message, isFatal(err), { cause: err });
}

/**
 * Connects, retrying with backoff up to RABBITMQ_CONNECTION_ATTEMPTS times; what retrying cannot fix
 * (credentials, vhost, TLS trust, a 406 in setup) fails at once with one line. With `setup` the
 * connection recovers by itself once connected, for ever, and says so on stderr.
 */
export function connect(options: ConnectOptions & Required<Pick<ConnectOptions, 'setup'>>): Promise<RecoveringChannelModel>;
export function connect(options?: ConnectOptions): Promise<ChannelModel>;
export async function connect(options: ConnectOptions = {}): Promise<ChannelModel | RecoveringChannelModel> {
  const config = options.config ?? loadConfig();
  const [url, socket] = amqplibOptions(config, options.name);
  if (!options.setup) {
    for (let attempt = 1; ; attempt++) {
      try {
        const connection = await amqplib.connect(url, socket);
        // Without a listener an 'error' event would crash the process; 'close' follows it anyway.
        connection.on('error', (err) => log(`connection error: ${explain(err, config).message}`));
        return connection;
      } catch (err) {
        const error = explain(err, config);
        if (error.fatal || attempt >= config.connectionAttempts) throw error;
        const delay = Math.min(MAX_RETRY_DELAY_MS, config.retryDelayMs * 2 ** (attempt - 1));
        log(`connection attempt ${attempt}/${config.connectionAttempts} failed: ${error.message}; retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
  const connection = await amqplib.connect(url, {
    ...socket,
    recovery: {
      initialDelay: config.retryDelayMs, maxDelay: MAX_RETRY_DELAY_MS,
      initialMaxRetries: config.connectionAttempts - 1, maxRetries: Infinity,
      waitForConnect: false, // so the first attempt's events reach the listeners below
      setup: options.setup,
    },
  });
  let connected = false;
  let fatal: BrokerError | undefined;
  connection.on('error', (err: unknown) => log(`connection error: ${explain(err, config).message}`));
  connection.on('disconnect', (err: unknown) => log(`connection lost: ${explain(err, config).message}; reconnecting`));
  connection.on('reconnect-scheduled', ({ delay }: { delay: number }) => log(`retrying in ${delay} ms`));
  connection.on('connect', () => {
    if (connected) log('reconnected; topology and consumers restored');
    connected = true;
  });
  connection.on('connect-failed', (err: unknown) => {
    const error = explain(err, config);
    if (!error.fatal) return log(`connection failed: ${error.message}`);
    // Retrying cannot fix this: stop now; untilShutdown() ends the program with this line.
    fatal = error;
    connection.emit('failed', error);
    void connection.close();
  });
  try {
    await connection.waitForConnect();
  } catch (err) {
    throw fatal ?? explain(err, config);
  }
  log(`connected to ${describeTarget(config)}`);
  return connection;
}
