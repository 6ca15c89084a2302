// Configuration from the environment: RABBITMQ_URL, or RABBITMQ_HOST, _PORT, _USER, _PASSWORD and
// _VHOST; TLS (RABBITMQ_SSL*), heartbeat and retries. Every variable is listed in README.md.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** Bad configuration: the message names the variable and never contains a secret. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** TLS settings; `servername` is the name checked in the broker certificate (default the host). */
export interface TlsConfig { ca?: Buffer; cert?: Buffer; key?: Buffer; passphrase?: string; servername?: string; verify: boolean }

/** Everything connect() needs; heartbeat in seconds (0: off), delays and timeouts in milliseconds. */
export interface RabbitConfig {
  hostname: string; port: number; username: string; password: string; vhost: string; tls?: TlsConfig;
  heartbeat: number; frameMax?: number; channelMax?: number; connectionName?: string;
  connectionAttempts: number; retryDelayMs: number; connectTimeoutMs: number;
}

type Env = Record<string, string | undefined>;
const URL_QUERY_KEYS = ['heartbeat', 'connection_timeout', 'channel_max', 'frame_max'];
const DISCRETE = ['RABBITMQ_HOST', 'RABBITMQ_PORT', 'RABBITMQ_USER', 'RABBITMQ_PASSWORD', 'RABBITMQ_VHOST'];
const TLS_VARS = ['RABBITMQ_SSL_CA', 'RABBITMQ_SSL_CERT', 'RABBITMQ_SSL_KEY', 'RABBITMQ_SSL_PASSPHRASE', 'RABBITMQ_SSL_SERVERNAME', 'RABBITMQ_SSL_VERIFY'];

/** Reads and validates RABBITMQ_* variables; throws ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): RabbitConfig {
  const get = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const url = get('RABBITMQ_URL');
  const both = url ? DISCRETE.filter((name) => get(name) !== undefined) : [];
  if (both.length > 0) throw new ConfigError(`RABBITMQ_URL and ${both.join(', ')} are both set: use one or the other`);
  const config: RabbitConfig = {
    hostname: 'localhost', port: 5672, username: 'guest', password: 'guest', vhost: '/', heartbeat: 60,
    connectionAttempts: 5, retryDelayMs: 1000, connectTimeoutMs: 10_000,
  };
  if (url) fromUrl(url, config);
  else {
    config.hostname = get('RABBITMQ_HOST') ?? config.hostname;
    config.port = intVar('RABBITMQ_PORT', get('RABBITMQ_PORT'), config.port, 1, 65535);
    config.username = get('RABBITMQ_USER') ?? config.username;
    // The password is taken as written (not trimmed): spaces may be part of it.
    if (get('RABBITMQ_PASSWORD') !== undefined) config.password = env.RABBITMQ_PASSWORD!;
    config.vhost = get('RABBITMQ_VHOST') ?? config.vhost;
  }

  const sslFlag = get('RABBITMQ_SSL');
  const sslOn = sslFlag === undefined ? undefined : parseSwitch('RABBITMQ_SSL', sslFlag);
  if (url && config.tls && sslOn === false) throw new ConfigError('RABBITMQ_SSL is off but RABBITMQ_URL is amqps://: remove one');
  if (url && !config.tls && sslOn) throw new ConfigError('RABBITMQ_SSL is on but RABBITMQ_URL is amqp://: use amqps:// in the URL');
  if (sslOn && !config.tls) {
    config.tls = { verify: true };
    if (get('RABBITMQ_PORT') === undefined) config.port = 5671;
  }
  const tlsVar = TLS_VARS.find((name) => get(name) !== undefined);
  if (config.tls) config.tls = readTls(get);
  else if (tlsVar) throw new ConfigError(`${tlsVar} is set but TLS is off: set RABBITMQ_SSL=on or use an amqps:// URL`);

  config.heartbeat = intVar('RABBITMQ_HEARTBEAT', get('RABBITMQ_HEARTBEAT'), config.heartbeat, 0, 65535);
  config.connectionAttempts = intVar('RABBITMQ_CONNECTION_ATTEMPTS', get('RABBITMQ_CONNECTION_ATTEMPTS'), 5, 1, 1000);
  config.retryDelayMs = intVar('RABBITMQ_RETRY_DELAY_MS', get('RABBITMQ_RETRY_DELAY_MS'), 1000, 0, 600_000);
  config.connectTimeoutMs = intVar('RABBITMQ_CONNECT_TIMEOUT_MS', get('RABBITMQ_CONNECT_TIMEOUT_MS'), config.connectTimeoutMs, 1, 600_000);
  config.connectionName = get('RABBITMQ_CONNECTION_NAME');
  return config;
}

/** amqp[s]://user:password@host:port/vhost?heartbeat=..., as the RabbitMQ URI spec says. */
function fromUrl(raw: string, config: RabbitConfig): void {
  const invalid = (why: string) => new ConfigError(`RABBITMQ_URL ${why} (expected amqp[s]://user:password@host:port/vhost)`);
  const decode = (part: string, what: string) => orFail(() => decodeURIComponent(part), () => invalid(`has a badly encoded ${what}`));
  const url = orFail(() => new URL(raw), () => invalid('is not a valid URI'));
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw invalid(`has scheme "${url.protocol.replace(/:$/, '')}", not amqp or amqps`);
  if (url.protocol === 'amqps:') config.tls = { verify: true };
  config.hostname = url.hostname.replace(/^\[|\]$/g, '') || config.hostname;
  config.port = url.port ? intVar('RABBITMQ_URL port', url.port, 0, 1, 65535) : config.tls ? 5671 : 5672;
  if (url.username || url.password) [config.username, config.password] = [decode(url.username, 'user name'), decode(url.password, 'password')];
  // The spec says "amqp://host/" names the vhost "", which no broker has; like pika, take it as "/".
  const path = url.pathname.replace(/^\//, '');
  if (path.includes('/')) throw invalid('has a "/" in the vhost: encode it as %2F');
  config.vhost = path === '' ? '/' : decode(path, 'vhost');
  for (const [key, value] of url.searchParams) {
    if (key === 'heartbeat') config.heartbeat = intVar('RABBITMQ_URL heartbeat', value, 0, 0, 65535);
    else if (key === 'connection_timeout') config.connectTimeoutMs = intVar('RABBITMQ_URL connection_timeout', value, 0, 1, 600_000);
    else if (key === 'channel_max') config.channelMax = intVar('RABBITMQ_URL channel_max', value, 0, 0, 65535);
    else if (key === 'frame_max') config.frameMax = intVar('RABBITMQ_URL frame_max', value, 0, 4096, 2 ** 31 - 1);
    else throw new ConfigError(`RABBITMQ_URL has unknown query parameter "${key}" (known: ${URL_QUERY_KEYS.join(', ')})`);
  }
}

function readTls(get: (name: string) => string | undefined): TlsConfig {
  const tls: TlsConfig = {
    verify: parseSwitch('RABBITMQ_SSL_VERIFY', get('RABBITMQ_SSL_VERIFY') ?? 'on'),
    passphrase: get('RABBITMQ_SSL_PASSPHRASE'),
    servername: get('RABBITMQ_SSL_SERVERNAME'),
  };
  const [caFile, certFile, keyFile] = [get('RABBITMQ_SSL_CA'), get('RABBITMQ_SSL_CERT'), get('RABBITMQ_SSL_KEY')];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(`${certFile ? 'RABBITMQ_SSL_KEY' : 'RABBITMQ_SSL_CERT'} is missing: a client certificate needs both RABBITMQ_SSL_CERT and RABBITMQ_SSL_KEY`);
  }
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
  const pem = orFail(() => readFileSync(file), (err) => new ConfigError(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`));
  orFail(() => parse(pem), () => new ConfigError(`${name}: ${file} is not a valid PEM ${name.endsWith('KEY') ? 'private key' : 'certificate'}${hint}`));
  return pem;
}

function orFail<T>(attempt: () => T, error: (err: unknown) => Error): T {
  try {
    return attempt();
  } catch (err) {
    throw error(err);
  }
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
  const host = isIP(config.hostname) === 6 ? `[${config.hostname}]` : config.hostname;
  return `${config.tls ? 'amqps' : 'amqp'}://${encodeURIComponent(config.username)}@${host}:${config.port}/${encodeURIComponent(config.vhost)}`;
}

/** Is this host this machine (localhost, 127.x.x.x, ::1)? Credentials sent there stay on the machine. */
export function isLoopback(host: string): boolean {
  return /^(localhost|127\.[\d.]+|::1)$/.test(host);
}

/** Redacts the password in any amqp(s) or http(s) URI found in a text (up to the last @ of its user part). */
export function redact(text: string): string {
  return text.replace(/(\b(?:amqps?|https?):\/\/[^:/@\s]*:)[^\s/]*@/g, '$1***@');
}
