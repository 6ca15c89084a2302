/** Where the management HTTP API is and who to log in as (the password is never printed). */
export interface ManagementTarget {
  /** e.g. http://localhost:15672 */
  url: string;
  username: string;
  password: string;
}

export class ManagementError extends Error {
  override name = 'ManagementError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** Reads RABBITMQ_MANAGEMENT_URL (user and password may be in it), else http://RABBITMQ_HOST:15672 as RABBITMQ_USER. */
export function managementFromEnv(env: Record<string, string | undefined> = process.env): ManagementTarget {
  const raw = env.RABBITMQ_MANAGEMENT_URL?.trim();
  let amqp: URL | undefined;
  try {
    amqp = env.RABBITMQ_URL ? new URL(env.RABBITMQ_URL) : undefined;
  } catch {
    amqp = undefined;
  }
  const username = amqp?.username ? decodeURIComponent(amqp.username) : (env.RABBITMQ_USER?.trim() || 'guest');
  const password = amqp?.password ? decodeURIComponent(amqp.password) : (env.RABBITMQ_PASSWORD || 'guest');
  if (raw) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ManagementError('RABBITMQ_MANAGEMENT_URL is not a valid http(s):// URL');
    }
    const target = {
      url: `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`,
      username: url.username ? decodeURIComponent(url.username) : username,
      password: url.password ? decodeURIComponent(url.password) : password,
    };
    return target;
  }
  const host = amqp?.hostname || env.RABBITMQ_HOST?.trim() || 'localhost';
  return { url: `http://${host}:15672`, username, password };
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
}

/** The management HTTP API calls this project needs; see https://www.rabbitmq.com/docs/http-api-reference. */
export class Management {
  constructor(readonly target: ManagementTarget) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const auth = Buffer.from(`${this.target.username}:${this.target.password}`).toString('base64');
    let response: Response;
    // A timer of our own, cleared when done: AbortSignal.timeout would keep the process alive for 15 s.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error('timed out after 15 s')), 15_000).unref();
    try {
      response = await fetch(`${this.target.url}/api${path}`, {
        method,
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
      });
    } catch (err) {
      // fetch hides the socket error in its cause (an AggregateError when several addresses failed).
      const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
      const code = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err as Error).message;
      throw new ManagementError(`cannot reach the management API at ${this.target.url} (${code}): is the rabbitmq_management plugin on?`);
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 401) {
      throw new ManagementError(`the management API at ${this.target.url} refused user "${this.target.username}" (401): wrong password or no management tag`, 401);
    }
    if (!response.ok) {
      const text = await response.text();
      throw new ManagementError(`${method} ${path} failed: ${response.status} ${text.slice(0, 300)}`, response.status);
    }
    const text = await response.text();
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
