import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type RabbitConfig, connect, describeTarget, isLoopback, loadConfig } from '@rabbit-tutorials/connection';

/** Where the management HTTP API is and who to log in as (the password is never printed). */
export interface ManagementTarget {
  /** e.g. http://localhost:15672 */
  url: string;
  username: string;
  password: string;
  /** For https: the CA to trust (else the system's) and whether to verify the certificate. */
  tls?: { ca?: Buffer; verify: boolean };
}

export class ManagementError extends Error {
  override name = 'ManagementError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/**
 * The management API of the broker the apps use, as their user: RABBITMQ_MANAGEMENT_URL (user and
 * password may be in it), else https://<host>:15671 when AMQP uses TLS (same CA and verify settings),
 * else http://<host>:15672. The password is never sent over plain http to another host unless
 * RABBITMQ_MANAGEMENT_URL asks for http.
 */
export function managementFromEnv(env: Record<string, string | undefined> = process.env): ManagementTarget {
  const config = loadConfig(env);
  const tls = config.tls && { ca: config.tls.ca, verify: config.tls.verify };
  const raw = env.RABBITMQ_MANAGEMENT_URL?.trim();
  if (raw) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ManagementError('RABBITMQ_MANAGEMENT_URL is not a valid http(s):// URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ManagementError('RABBITMQ_MANAGEMENT_URL is not a valid http(s):// URL');
    const decode = (part: string, what: string) => {
      try {
        return decodeURIComponent(part);
      } catch {
        throw new ManagementError(`RABBITMQ_MANAGEMENT_URL has a badly encoded ${what} (a % not followed by two hex digits)`);
      }
    };
    return {
      url: `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`,
      username: url.username ? decode(url.username, 'user name') : config.username,
      password: url.password ? decode(url.password, 'password') : config.password,
      tls,
    };
  }
  const host = config.hostname.includes(':') ? `[${config.hostname}]` : config.hostname;
  if (!tls && !isLoopback(config.hostname)) {
    throw new ManagementError(`not sending the password over plain http to ${config.hostname}: set RABBITMQ_MANAGEMENT_URL ` +
      `(https://${host}:15671, or http://${host}:15672 to accept it)`);
  }
  return { url: tls ? `https://${host}:15671` : `http://${host}:15672`, username: config.username, password: config.password, tls };
}

export interface QueueInfo {
  name: string;
  vhost: string;
  durable: boolean;
  exclusive: boolean;
  auto_delete: boolean;
  type?: string;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  arguments: Record<string, unknown>;
  /** A quorum queue or a stream on a cluster: the node of its leader, every node with a replica, those running. */
  leader?: string;
  members?: string[];
  online?: string[];
}

export interface ExchangeInfo {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
}

export interface BindingInfo {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: Record<string, unknown>;
}

export interface ConnectionInfo {
  name: string;
  vhost: string;
  user: string;
  client_properties?: { connection_name?: string };
  /** The node the connection is on (a cluster). */
  node?: string;
}

/** The management HTTP API calls this project needs; see https://www.rabbitmq.com/docs/http-api-reference. */
export class Management {
  constructor(readonly target: ManagementTarget) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(`${this.target.url}/api${path}`);
    const https = url.protocol === 'https:';
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, {
        method,
        headers: { authorization: `Basic ${Buffer.from(`${this.target.username}:${this.target.password}`).toString('base64')}`, 'content-type': 'application/json' },
        timeout: 15_000,
        // A connection per request: the API closes a connection idle for 5 s, and a request that Node's
        // keep-alive sends on it at that moment fails with ECONNRESET.
        agent: false,
        ...(https && { ca: this.target.tls?.ca, rejectUnauthorized: this.target.tls?.verify ?? true }),
      }, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out after 15 s'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    }).catch((err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      const hint = /CERT|TLS|SSL/.test(code) ? 'set RABBITMQ_SSL_CA to the CA that signed its certificate' : 'is the rabbitmq_management plugin on?';
      throw new ManagementError(`cannot reach the management API at ${this.target.url} (${code}): ${hint}`);
    });
    if (status === 401) {
      throw new ManagementError(`the management API at ${this.target.url} refused user "${this.target.username}" (401): wrong password or no management tag`, 401);
    }
    if (status < 200 || status >= 300) throw new ManagementError(`${method} ${path} failed: ${status} ${text.slice(0, 300)}`, status);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  overview() {
    return this.request<{ rabbitmq_version: string; cluster_name: string }>('GET', '/overview');
  }

  async createVhost(vhost: string): Promise<void> {
    await this.request('PUT', `/vhosts/${enc(vhost)}`, {});
  }

  async deleteVhost(vhost: string): Promise<void> {
    await this.request('DELETE', `/vhosts/${enc(vhost)}`).catch((err: unknown) => {
      if ((err as ManagementError).status !== 404) throw err;
    });
  }

  async createUser(user: string, password: string, tags = ''): Promise<void> {
    await this.request('PUT', `/users/${enc(user)}`, { password, tags });
  }

  async deleteUser(user: string): Promise<void> {
    await this.request('DELETE', `/users/${enc(user)}`).catch((err: unknown) => {
      if ((err as ManagementError).status !== 404) throw err;
    });
  }

  async setPermissions(vhost: string, user: string, configure = '.*', write = '.*', read = '.*'): Promise<void> {
    await this.request('PUT', `/permissions/${enc(vhost)}/${enc(user)}`, { configure, write, read });
  }

  queues(vhost?: string) {
    return this.request<QueueInfo[]>('GET', vhost === undefined ? '/queues' : `/queues/${enc(vhost)}`);
  }

  queue(vhost: string, name: string) {
    return this.request<QueueInfo>('GET', `/queues/${enc(vhost)}/${enc(name)}`);
  }

  exchanges(vhost?: string) {
    return this.request<ExchangeInfo[]>('GET', vhost === undefined ? '/exchanges' : `/exchanges/${enc(vhost)}`);
  }

  bindings(vhost?: string) {
    return this.request<BindingInfo[]>('GET', vhost === undefined ? '/bindings' : `/bindings/${enc(vhost)}`);
  }

  connections() {
    return this.request<ConnectionInfo[]>('GET', '/connections');
  }
}

const enc = encodeURIComponent;

export { formatNumber, table } from './table.js';

/**
 * Fails with one line unless the management API speaks for the broker (or cluster) the AMQP connection
 * reached: both report the cluster's name. RABBITMQ_MANAGEMENT_URL defaults to host:15672, which may
 * belong to another node on the same machine.
 */
export async function checkSameBroker(api: Management, config: RabbitConfig): Promise<void> {
  const amqp = await connect({ config });
  const reached = (amqp.connection as { serverProperties?: { cluster_name?: unknown } }).serverProperties?.cluster_name;
  await amqp.close();
  const { cluster_name: answered } = await api.overview();
  if (typeof reached === 'string' && answered !== reached) {
    throw new ManagementError(`the management API at ${api.target.url} is broker "${answered}", but ${describeTarget(config)} is "${reached}": ` +
      'set RABBITMQ_MANAGEMENT_URL to the management port of the same broker');
  }
}
