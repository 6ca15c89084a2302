import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** Bad configuration: the message names the variable and never contains a secret. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface TlsConfig {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
  /** Name checked against the broker certificate (and sent as SNI); defaults to the host. */
  servername?: string;
  /** Verify the broker certificate chain and name. Off only for experiments. */
  verify: boolean;
}

export interface RabbitConfig {
  hostname: string;
  port: number;
  username: string;
  password: string;
  vhost: string;
  /** Seconds; 0 disables heartbeats. */
  heartbeat: number;
  frameMax?: number;
  channelMax?: number;
  tls?: TlsConfig;
  connectionAttempts: number;
  retryDelayMs: number;
  connectTimeoutMs: number;
  connectionName?: string;
}

/** Every variable read by loadConfig, with its default and meaning (README and docs list them). */
export const CONFIG_VARIABLES = {
  RABBITMQ_URL: 'amqp:// or amqps:// URI (RabbitMQ URI spec, vhost URL-encoded); replaces the five below',
  RABBITMQ_HOST: 'broker host (default localhost)',
  RABBITMQ_PORT: 'broker port (default 5672, 5671 with TLS)',
  RABBITMQ_USER: 'user name (default guest)',
  RABBITMQ_PASSWORD: 'password (default guest); never printed',
  RABBITMQ_VHOST: 'virtual host, not encoded (default /)',
  RABBITMQ_SSL: 'on/off: connect with TLS (default off; on for amqps://)',
  RABBITMQ_SSL_CA: 'PEM file of the CA that signed the broker certificate',
  RABBITMQ_SSL_CERT: 'PEM client certificate for mutual TLS',
  RABBITMQ_SSL_KEY: 'PEM private key of the client certificate',
  RABBITMQ_SSL_PASSPHRASE: 'passphrase of RABBITMQ_SSL_KEY; never printed',
  RABBITMQ_SSL_SERVERNAME: 'name to verify in the broker certificate (default the host)',
  RABBITMQ_SSL_VERIFY: 'on/off: verify the broker certificate (default on)',
  RABBITMQ_HEARTBEAT: 'heartbeat in seconds, 0 disables (default 60)',
  RABBITMQ_CONNECTION_ATTEMPTS: 'attempts for the first connection (default 5)',
  RABBITMQ_RETRY_DELAY_MS: 'first retry delay, doubled each attempt up to 30 s (default 1000)',
  RABBITMQ_CONNECT_TIMEOUT_MS: 'TCP + TLS + AMQP handshake timeout (default 10000)',
  RABBITMQ_CONNECTION_NAME: 'connection name shown in the management UI (default the program name)',
  RABBITMQ_SHUTDOWN_TIMEOUT_MS: 'consumers: how long shutdown waits for messages in progress (default 30000)',
} as const;

type Env = Record<string, string | undefined>;

const URL_QUERY_KEYS = ['heartbeat', 'connection_timeout', 'channel_max', 'frame_max'] as const;
const DISCRETE = ['RABBITMQ_HOST', 'RABBITMQ_PORT', 'RABBITMQ_USER', 'RABBITMQ_PASSWORD', 'RABBITMQ_VHOST'];

/** Reads and validates RABBITMQ_* variables; throws ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): RabbitConfig {
  const get = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const url = get('RABBITMQ_URL');
  const config = url ? fromUrl(url) : fromDiscrete(get, env.RABBITMQ_PASSWORD);
  if (url) {
    const both = DISCRETE.filter((name) => get(name) !== undefined);
    if (both.length > 0) {
      throw new ConfigError(`RABBITMQ_URL and ${both.join(', ')} are both set: use one or the other`);
    }
  }

  const sslFlag = get('RABBITMQ_SSL');
  const sslOn = sslFlag === undefined ? undefined : parseSwitch('RABBITMQ_SSL', sslFlag);
  const urlTls = url !== undefined && config.tls !== undefined;
  if (urlTls && sslOn === false) throw new ConfigError('RABBITMQ_SSL is off but RABBITMQ_URL is amqps://: remove one');
  if (url !== undefined && !urlTls && sslOn) {
    throw new ConfigError('RABBITMQ_SSL is on but RABBITMQ_URL is amqp://: use amqps:// in the URL');
  }
  if (sslOn && !config.tls) {
    config.tls = { verify: true };
    if (get('RABBITMQ_PORT') === undefined) config.port = 5671;
  }

  const tlsVars = ['RABBITMQ_SSL_CA', 'RABBITMQ_SSL_CERT', 'RABBITMQ_SSL_KEY', 'RABBITMQ_SSL_PASSPHRASE',
    'RABBITMQ_SSL_SERVERNAME', 'RABBITMQ_SSL_VERIFY'].filter((name) => get(name) !== undefined);
  if (config.tls) {
    config.tls = readTls(get);
  } else if (tlsVars.length > 0) {
    throw new ConfigError(`${tlsVars[0]} is set but TLS is off: set RABBITMQ_SSL=on or use an amqps:// URL`);
  }

  config.heartbeat = intVar('RABBITMQ_HEARTBEAT', get('RABBITMQ_HEARTBEAT'), config.heartbeat, 0, 65535);
  config.connectionAttempts = intVar('RABBITMQ_CONNECTION_ATTEMPTS', get('RABBITMQ_CONNECTION_ATTEMPTS'), 5, 1, 1000);
  config.retryDelayMs = intVar('RABBITMQ_RETRY_DELAY_MS', get('RABBITMQ_RETRY_DELAY_MS'), 1000, 0, 600_000);
  config.connectTimeoutMs = intVar('RABBITMQ_CONNECT_TIMEOUT_MS', get('RABBITMQ_CONNECT_TIMEOUT_MS'),
    config.connectTimeoutMs, 1, 600_000);
  config.connectionName = get('RABBITMQ_CONNECTION_NAME');
  return config;
}

function defaults(): RabbitConfig {
  return {
    hostname: 'localhost', port: 5672, username: 'guest', password: 'guest', vhost: '/', heartbeat: 60,
    connectionAttempts: 5, retryDelayMs: 1000, connectTimeoutMs: 10_000,
  };
}

function fromDiscrete(get: (name: string) => string | undefined, rawPassword: string | undefined): RabbitConfig {
  const config = defaults();
  config.hostname = get('RABBITMQ_HOST') ?? config.hostname;
  config.port = intVar('RABBITMQ_PORT', get('RABBITMQ_PORT'), config.port, 1, 65535);
  config.username = get('RABBITMQ_USER') ?? config.username;
  // The password is taken as written (not trimmed): spaces may be part of it.
  if (get('RABBITMQ_PASSWORD') !== undefined) config.password = rawPassword ?? config.password;
  config.vhost = get('RABBITMQ_VHOST') ?? config.vhost;
  return config;
}

function fromUrl(raw: string): RabbitConfig {
  const invalid = (why: string) => new ConfigError(`RABBITMQ_URL ${why} (expected amqp[s]://user:password@host:port/vhost)`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('is not a valid URI');
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw invalid(`has scheme "${url.protocol.replace(/:$/, '')}", not amqp or amqps`);
  }
  const config = defaults();
  const tls = url.protocol === 'amqps:';
  if (tls) config.tls = { verify: true };
  config.hostname = url.hostname.replace(/^\[|\]$/g, '') || config.hostname;
  config.port = url.port ? intVar('RABBITMQ_URL port', url.port, 0, 1, 65535) : tls ? 5671 : 5672;
  if (url.username || url.password) {
    config.username = decode(url.username, 'user name');
    config.password = decode(url.password, 'password');
  }
  // The spec says "amqp://host/" names the vhost "", which no broker has; like pika, take it as "/".
  const path = url.pathname.replace(/^\//, '');
  if (path.includes('/')) throw invalid('has a "/" in the vhost: encode it as %2F');
  config.vhost = path === '' ? '/' : decode(path, 'vhost');
  for (const [key, value] of url.searchParams) {
    switch (key as (typeof URL_QUERY_KEYS)[number]) {
      case 'heartbeat': config.heartbeat = intVar('RABBITMQ_URL heartbeat', value, 0, 0, 65535); break;
      case 'connection_timeout': config.connectTimeoutMs = intVar('RABBITMQ_URL connection_timeout', value, 0, 1, 600_000); break;
      case 'channel_max': config.channelMax = intVar('RABBITMQ_URL channel_max', value, 0, 0, 65535); break;
      case 'frame_max': config.frameMax = intVar('RABBITMQ_URL frame_max', value, 0, 4096, 2 ** 31 - 1); break;
      default:
        throw new ConfigError(`RABBITMQ_URL has unknown query parameter "${key}" (known: ${URL_QUERY_KEYS.join(', ')})`);
    }
  }
  return config;

  function decode(part: string, what: string): string {
    try {
      return decodeURIComponent(part);
    } catch {
      throw invalid(`has a badly encoded ${what}`);
    }
  }
}

function readTls(get: (name: string) => string | undefined): TlsConfig {
  const tls: TlsConfig = {
    verify: parseSwitch('RABBITMQ_SSL_VERIFY', get('RABBITMQ_SSL_VERIFY') ?? 'on'),
    passphrase: get('RABBITMQ_SSL_PASSPHRASE'),
    servername: get('RABBITMQ_SSL_SERVERNAME'),
  };
  const certFile = get('RABBITMQ_SSL_CERT');
  const keyFile = get('RABBITMQ_SSL_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(`${certFile ? 'RABBITMQ_SSL_KEY' : 'RABBITMQ_SSL_CERT'} is missing: a client certificate needs both RABBITMQ_SSL_CERT and RABBITMQ_SSL_KEY`);
  }
  const caFile = get('RABBITMQ_SSL_CA');
  if (caFile) tls.ca = readPem('RABBITMQ_SSL_CA', caFile, (pem) => new X509Certificate(pem));
  if (certFile) tls.cert = readPem('RABBITMQ_SSL_CERT', certFile, (pem) => new X509Certificate(pem));
  if (keyFile) {
    tls.key = readPem('RABBITMQ_SSL_KEY', keyFile, (pem) => createPrivateKey({ key: pem, passphrase: tls.passphrase }),
      tls.passphrase ? ' or RABBITMQ_SSL_PASSPHRASE is wrong' : '');
  }
  return tls;
}

/** Reads a PEM file and checks it parses now, so a bad file is reported at startup, not as a TLS failure. */
function readPem(name: string, file: string, parse: (pem: Buffer) => unknown, hint = ''): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${name}: cannot read ${file} (${code})`);
  }
  try {
    parse(pem);
  } catch {
    throw new ConfigError(`${name}: ${file} is not a valid PEM ${name.endsWith('KEY') ? 'private key' : 'certificate'}${hint}`);
  }
  return pem;
}

export function parseSwitch(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(v)) return true;
  if (['off', 'false', 'no', '0'].includes(v)) return false;
  throw new ConfigError(`${name} must be on or off (got "${value}")`);
}

export function intVar(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be from ${min} to ${max} (got ${n})`);
  return n;
}

/** The broker address for logs: never the password. */
export function describeTarget(config: RabbitConfig): string {
  const scheme = config.tls ? 'amqps' : 'amqp';
  const host = isIP(config.hostname) === 6 ? `[${config.hostname}]` : config.hostname;
  return `${scheme}://${encodeURIComponent(config.username)}@${host}:${config.port}/${encodeURIComponent(config.vhost)}`;
}

/** Redacts the password in any amqp(s) URI found in a text. */
export function redact(text: string): string {
  return text.replace(/(amqps?:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
}
