import amqplib from 'amqplib';
import type { ChannelModel, Options, RecoveringChannelModel } from 'amqplib';
import { basename } from 'node:path';
import { type RabbitConfig, describeTarget } from './config.js';
import { BrokerError, describeError, isFatal } from './errors.js';
import { log } from './log.js';

const MAX_RETRY_DELAY_MS = 30_000;

/** The connection name shown in the management UI: RABBITMQ_CONNECTION_NAME, else the caller's, else the script. */
export function connectionName(config: RabbitConfig, name?: string): string {
  return config.connectionName ?? name ?? basename(process.argv[1] ?? 'rabbit-tutorials');
}

/** amqplib's connect arguments for a config. */
export function amqplibOptions(config: RabbitConfig, name?: string): [Options.Connect, Record<string, unknown>] {
  const url: Options.Connect = {
    protocol: config.tls ? 'amqps' : 'amqp',
    hostname: config.hostname,
    port: config.port,
    username: config.username,
    password: config.password,
    // amqplib unescapes the vhost it is given, so hand it over escaped.
    vhost: encodeURIComponent(config.vhost),
    heartbeat: config.heartbeat,
    frameMax: config.frameMax,
    channelMax: config.channelMax,
  };
  const socket: Record<string, unknown> = {
    // Without noDelay, Nagle's algorithm holds small frames back: request/reply gets ~80x slower.
    noDelay: true,
    timeout: config.connectTimeoutMs,
    clientProperties: { connection_name: connectionName(config, name) },
  };
  if (config.tls) {
    Object.assign(socket, {
      ca: config.tls.ca,
      cert: config.tls.cert,
      key: config.tls.key,
      passphrase: config.tls.passphrase,
      rejectUnauthorized: config.tls.verify,
      ...(config.tls.servername ? { servername: config.tls.servername } : {}),
    });
  }
  return [url, socket];
}

/** Turns any connect/declare failure into a one-line BrokerError that keeps the cause. */
export function explain(err: unknown, config: RabbitConfig): BrokerError {
  if (err instanceof BrokerError) return err;
  const message = describeError(err, {
    target: describeTarget(config), user: config.username, vhost: config.vhost, host: config.hostname,
  });
  return new BrokerError(message, isFatal(err), { cause: err });
}

export function retryDelay(config: RabbitConfig, attempt: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, config.retryDelayMs * 2 ** (attempt - 1));
}

/**
 * Opens a connection, retrying with exponential backoff up to RABBITMQ_CONNECTION_ATTEMPTS times.
 * Errors retrying cannot fix (credentials, vhost, TLS trust) fail at once. For programs that run to
 * completion; long-running consumers use connectRecovering.
 */
export async function connect(config: RabbitConfig, name?: string): Promise<ChannelModel> {
  const [url, socket] = amqplibOptions(config, name);
  for (let attempt = 1; ; attempt++) {
    try {
      const connection = await amqplib.connect(url, socket);
      // An 'error' event without a listener would crash the process; 'close' follows and callers see it.
      connection.on('error', (err) => log(`connection error: ${explain(err, config).message}`));
      return connection;
    } catch (err) {
      const error = explain(err, config);
      if (error.fatal || attempt >= config.connectionAttempts) throw error;
      const delay = retryDelay(config, attempt);
      log(`connection attempt ${attempt}/${config.connectionAttempts} failed: ${error.message}; retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export interface RecoveringOptions {
  name?: string;
  /** Runs on every (re)connection: open channels, declare topology, start consumers. */
  setup: (connection: ChannelModel) => Promise<void>;
  /** A failure retrying cannot fix, after the first connection (e.g. a 406 in setup). */
  onFatal: (error: BrokerError) => void;
}

/**
 * A connection that reconnects by itself (amqplib's recovery) and re-runs `setup` each time, so
 * channels, topology and consumers come back after a broker restart or a network cut. The first
 * connection obeys RABBITMQ_CONNECTION_ATTEMPTS; once connected it retries for ever, with backoff.
 */
export async function connectRecovering(config: RabbitConfig, options: RecoveringOptions): Promise<RecoveringChannelModel> {
  const [url, socket] = amqplibOptions(config, options.name);
  const connection = await amqplib.connect(url, {
    ...socket,
    recovery: {
      initialDelay: config.retryDelayMs,
      maxDelay: MAX_RETRY_DELAY_MS,
      initialMaxRetries: config.connectionAttempts - 1,
      maxRetries: Infinity,
      // Handing the connection back before it is up lets us listen to its first attempt too.
      waitForConnect: false,
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
    // Retrying cannot fix this: stop recovery now instead of looping on it.
    fatal = error;
    void connection.close();
    if (connected) options.onFatal(error);
  });
  connection.on('reconnect-failed', (err: unknown) => {
    if (connected) options.onFatal(explain(err, config));
  });
  try {
    await connection.waitForConnect();
  } catch (err) {
    throw fatal ?? explain(err, config);
  }
  return connection;
}
