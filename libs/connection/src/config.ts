// Configuration from the environment: RABBITMQ_URL, or RABBITMQ_HOST, _PORT, _USER, _PASSWORD and
// _VHOST; TLS (RABBITMQ_SSL*), heartbeat, retries, queue type. Every variable is in docs/configuration.md.
import { printable } from './program.js'; // the user's bad value, escaped and cut in the error line
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** Bad configuration: the message names the variable and never contains a secret. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** TLS settings; `servername` is the name checked in the broker certificate (default the host). */
export interface TlsConfig { ca?: Buffer; cert?: Buffer; key?: Buffer; passphrase?: string; servername?: string; verify: boolean }

/** Everything connect() needs; heartbeat in seconds (0: off), delays and timeouts in milliseconds. */
export interface RabbitConfig {
  /** The address to connect to (with `addresses`, the one being tried). */
  hostname: string; port: number;
  /** Every node's address, in order (one unless RABBITMQ_URL or RABBITMQ_HOST lists several). */
  addresses: Address[]; username: string; password: string; vhost: string; tls?: TlsConfig;
  heartbeat: number; frameMax?: number; channelMax?: number; connectionName?: string;
  connectionAttempts: number; retryDelayMs: number; connectTimeoutMs: number; blockedTimeoutMs: number;
  /** How long a consumer's shutdown waits for the messages in progress. */
  shutdownTimeoutMs: number;
  /** How the tutorial queues are declared: quorum, or as the classic (pre-quorum) tutorials did. */
  queueType: 'quorum' | 'classic';
}

/** One node of a cluster. */
export interface Address { hostname: string; port: number }

type Env = Record<string, string | undefined>;
const MAX_PEM_BYTES = 1024 * 1024;
// The names the classic tutorial programs use, accepted for the same settings.
const ALIASES: Record<string, string> = {
  RABBITMQ_HOST: 'RABBITMQ_MASTER_HOST', RABBITMQ_PORT: 'RABBITMQ_MASTER_PORT', RABBITMQ_USER: 'RABBITMQ_MASTER_USER', RABBITMQ_PASSWORD: 'RABBITMQ_MASTER_PASS',
};

/** Reads and validates RABBITMQ_* variables; throws ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): RabbitConfig {
  // The password is taken as written (not trimmed): spaces may be part of it.
  const raw = (name: string) => (env[name]?.trim() ? (name.endsWith('PASS') || name.endsWith('PASSWORD') ? env[name] : env[name]!.trim()) : undefined);
  const setName = (name: string) => [name, ALIASES[name]].find((n) => n && raw(n) !== undefined);
  const get = (name: string) => {
    const [value, alias] = [raw(name), ALIASES[name] && raw(ALIASES[name]!)];
    if (value !== undefined && alias !== undefined && value !== alias) throw new ConfigError(`${name} and ${ALIASES[name]} are both set, to different values: unset one`);
    return value ?? alias;
  };
  const url = get('RABBITMQ_URL');
  const both = url ? ['RABBITMQ_HOST', 'RABBITMQ_PORT', 'RABBITMQ_USER', 'RABBITMQ_PASSWORD', 'RABBITMQ_VHOST'].map(setName).filter(Boolean) : [];
  if (both.length > 0) throw new ConfigError(`RABBITMQ_URL and ${both.join(', ')} are both set: use one or the other`);
  const config: RabbitConfig = {
    hostname: get('RABBITMQ_HOST') ?? 'localhost', port: 5672, username: get('RABBITMQ_USER') ?? 'guest',
    password: get('RABBITMQ_PASSWORD') ?? 'guest', vhost: get('RABBITMQ_VHOST') ?? '/', heartbeat: 60,
    connectionAttempts: 5, retryDelayMs: 1000, connectTimeoutMs: 10_000, blockedTimeoutMs: 60_000, shutdownTimeoutMs: 30_000, queueType: 'quorum', addresses: [],
  };
  // A cluster: several URLs, comma-separated (a comma inside one, in a password, stays part of it).
  const urls = url?.split(/,(?=\s*amqps?:\/\/)/i).map((u) => u.trim()) ?? [];
  const hosts: [string, number | undefined][] = [];
  urls.forEach((u, i) => {
    const node = structuredClone(config);
    fromUrl(u, node, urls.length > 1 ? ` (address ${i + 1})` : '');
    if (i === 0) Object.assign(config, node);
    const differs = (['tls', 'username', 'password', 'vhost', 'heartbeat', 'connectTimeoutMs', 'channelMax', 'frameMax'] as const)
      .find((key) => JSON.stringify(node[key]) !== JSON.stringify(config[key]));
    if (differs) {
      const what = { tls: 'scheme', username: 'user name', password: 'password', vhost: 'vhost' }[differs as string] ?? 'query parameters';
      throw new ConfigError(`RABBITMQ_URL address ${i + 1} has another ${what} than the first: the addresses of one cluster share scheme, user, password, vhost and parameters`);
    }
    hosts.push([node.hostname, node.port]);
  });

  const sslFlag = get('RABBITMQ_SSL');
  const sslOn = sslFlag === undefined ? undefined : parseSwitch('RABBITMQ_SSL', sslFlag);
  if (url && config.tls && sslOn === false) throw new ConfigError('RABBITMQ_SSL is off but RABBITMQ_URL is amqps://: remove one');
  if (url && !config.tls && sslOn) throw new ConfigError('RABBITMQ_SSL is on but RABBITMQ_URL is amqp://: use amqps:// in the URL');
  if (sslOn) config.tls = { verify: true };
  if (!url) {
    config.port = intVar(setName('RABBITMQ_PORT') ?? 'RABBITMQ_PORT', get('RABBITMQ_PORT'), config.tls ? 5671 : 5672, 1, 65535);
    hosts.push(...hostList(setName('RABBITMQ_HOST') ?? 'RABBITMQ_HOST', config.hostname));
  }
  const tlsVar = Object.keys(env).find((name) => name.startsWith('RABBITMQ_SSL_') && get(name) !== undefined);
  if (config.tls) config.tls = readTls(get);
  else if (tlsVar) throw new ConfigError(`${tlsVar} is set but TLS is off: set RABBITMQ_SSL=on or use an amqps:// URL`);

  config.heartbeat = intVar('RABBITMQ_HEARTBEAT', get('RABBITMQ_HEARTBEAT'), config.heartbeat, 0, 65535);
  config.connectionAttempts = intVar('RABBITMQ_CONNECTION_ATTEMPTS', get('RABBITMQ_CONNECTION_ATTEMPTS'), 5, 1, 1000);
  config.retryDelayMs = intVar('RABBITMQ_RETRY_DELAY_MS', get('RABBITMQ_RETRY_DELAY_MS'), 1000, 0, 600_000);
  config.connectTimeoutMs = intVar('RABBITMQ_CONNECT_TIMEOUT_MS', get('RABBITMQ_CONNECT_TIMEOUT_MS'), config.connectTimeoutMs, 1, 600_000);
  config.blockedTimeoutMs = intVar('RABBITMQ_BLOCKED_TIMEOUT_MS', get('RABBITMQ_BLOCKED_TIMEOUT_MS'), config.blockedTimeoutMs, 1, 86_400_000);
  config.shutdownTimeoutMs = intVar('RABBITMQ_SHUTDOWN_TIMEOUT_MS', get('RABBITMQ_SHUTDOWN_TIMEOUT_MS'), config.shutdownTimeoutMs, 0, 3_600_000);
  config.connectionName = get('RABBITMQ_CONNECTION_NAME');
  config.addresses = hosts.map(([hostname, port]) => ({ hostname, port: port ?? config.port }));
  const seen = new Set<string>();
  for (const { hostname, port } of config.addresses) {
    const key = `${hostname}:${port}`;
    if (seen.has(key)) throw new ConfigError(`${url ? 'RABBITMQ_URL' : 'RABBITMQ_HOST'} lists ${isIP(hostname) === 6 ? `[${hostname}]` : hostname}:${port} twice`);
    seen.add(key);
  }
  Object.assign(config, config.addresses[0]);
  const queueType = get('RABBITMQ_QUEUE_TYPE')?.toLowerCase() ?? 'quorum';
  if (queueType !== 'quorum' && queueType !== 'classic') throw new ConfigError(`RABBITMQ_QUEUE_TYPE must be quorum or classic (got "${printable(queueType, 40)}")`);
  config.queueType = queueType;
  return config;
}

/** RABBITMQ_HOST: a host, or several comma-separated, each with an optional :port (IPv6 in brackets). */
function hostList(name: string, value: string): [string, number | undefined][] {
  if (isIP(value) === 6) return [[value, undefined]];
  return value.split(',').map((entry) => {
    const match = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(entry.trim()) ?? /^([^\s:/@[\],]+)(?::(\d+))?$/.exec(entry.trim());
    if (!match || (match[0].startsWith('[') && isIP(match[1]!) !== 6)) {
      throw new ConfigError(`${name} has a bad address "${printableHost(entry)}" (expected host, host:port or [IPv6]:port, comma-separated)`);
    }
    const host = isIP(match[1]!) ? match[1]! : asciiHost(match[1]!);
    if (!host) throw new ConfigError(`${name} has a bad host name "${printableHost(match[1]!)}"`);
    return [host, match[2] === undefined ? undefined : intVar(`${name} port`, match[2], 0, 1, 65535)];
  });
}

/** A host name as DNS takes it (an IDN as punycode: bücher.example → xn--bcher-kva.example), or '' if it is none. */
export function asciiHost(name: string): string {
  const ascii = domainToASCII(name);
  return /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(ascii) ? ascii : '';
}

/** An address as typed, for an error line: control characters escaped, cut short. */
function printableHost(text: string): string {
  return JSON.stringify(text.slice(0, 60)).slice(1, -1) + (text.length > 60 ? '…' : '');
}

/** The configuration for one address of the list: connect() moves along it, stream programs try each. */
export function atAddress(config: RabbitConfig, index: number): RabbitConfig {
  return { ...config, ...config.addresses[index % config.addresses.length] };
}

/** amqp[s]://user:password@host:port/vhost?heartbeat=..., as the RabbitMQ URI spec says. */
function fromUrl(raw: string, config: RabbitConfig, which = ''): void {
  const invalid = (why: string) => new ConfigError(`RABBITMQ_URL${which} ${why} (expected amqp[s]://user:password@host:port/vhost)`);
  const decode = (part: string, what: string) => orFail(() => decodeURIComponent(part), () => invalid(`has a badly encoded ${what}`));
  // An IPv6 zone ([fe80::1%25eth0]), which URL does not parse: set aside and put back.
  const zoned = /^(amqps?:\/\/(?:[^@/]*@)?\[)([0-9a-fA-F:.]+)%25([\w.-]+)\]/i.exec(raw);
  const url = orFail(() => new URL(zoned ? raw.replace(zoned[0], `${zoned[1]}${zoned[2]}]`) : raw), () => invalid('is not a valid URI'));
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw invalid(`has scheme "${url.protocol.replace(/:$/, '')}", not amqp or amqps`);
  if (url.protocol === 'amqps:') config.tls = { verify: true };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (zoned) config.hostname = `${host}%${zoned[3]}`;
  else if (!host || isIP(host)) config.hostname = host || 'localhost';
  else {
    // URL leaves the host of an amqp:// URI as written, percent-encoded: an IDN goes to DNS as punycode.
    config.hostname = asciiHost(decode(host, 'host'));
    if (!config.hostname) throw invalid(`has a bad host name "${printableHost(url.hostname)}"`);
  }
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
    else throw new ConfigError(`RABBITMQ_URL has unknown query parameter "${key}" (known: heartbeat, connection_timeout, channel_max, frame_max)`);
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
  // Each file is read and parsed now, so a bad one is reported at startup, not as a TLS failure. Only
  // a regular file of sane size: a FIFO or /dev/zero would never end.
  const readPem = <T>(name: string, file: string, parse: (pem: Buffer) => T, what: string): [Buffer, T] => {
    const cannot = (err: unknown) => new ConfigError(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    const stat = orFail(() => statSync(file), cannot);
    if (!stat.isFile()) throw new ConfigError(`${name}: ${file} is not a regular file`);
    if (stat.size > MAX_PEM_BYTES) throw new ConfigError(`${name}: ${file} is over 1 MiB: not a PEM ${what}`);
    const pem = orFail(() => readFileSync(file), cannot);
    return [pem, orFail(() => parse(pem), () => new ConfigError(`${name}: ${file} is not a valid PEM ${what}`))];
  };
  if (caFile) [tls.ca] = readPem('RABBITMQ_SSL_CA', caFile, (pem) => new X509Certificate(pem), 'certificate');
  if (certFile && keyFile) {
    const [cert, x509] = readPem('RABBITMQ_SSL_CERT', certFile, (pem) => new X509Certificate(pem), 'certificate');
    const [key, privateKey] = readPem('RABBITMQ_SSL_KEY', keyFile, (pem) => createPrivateKey({ key: pem, passphrase: tls.passphrase }),
      `private key${tls.passphrase ? ' or RABBITMQ_SSL_PASSPHRASE is wrong' : ''}`);
    if (!x509.checkPrivateKey(privateKey)) throw new ConfigError('RABBITMQ_SSL_CERT and RABBITMQ_SSL_KEY do not match: the key is not the certificate\'s private key');
    [tls.cert, tls.key] = [cert, key];
  }
  return tls;
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
  throw new ConfigError(`${name} must be on or off (got "${printable(value, 40)}")`);
}

export function intVar(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${printable(value, 40)}")`);
  return n;
}

/** Every address, for a line that says what was tried: never the password. */
export function describeAddresses(config: RabbitConfig): string {
  return config.addresses.map(({ hostname, port }) => `${isIP(hostname) === 6 ? `[${hostname}]` : hostname}:${port}`).join(', ');
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

/**
 * Redacts the password in any amqp(s) or http(s) URI found in a text, whatever the scheme's case, up to
 * the last @ before the next white space (a password may hold an unencoded @ or /).
 */
export function redact(text: string): string {
  return text.replace(/(\b(?:amqps?|https?):\/\/[^:/@\s]*:)\S*@/gi, '$1***@');
}
