// The view's server: reads the broker through the management API, with the credentials of the apps'
// configuration (they stay here: the browser only ever talks to this server), and serves one page that
// draws what it reads. Loopback only unless asked; requests naming another host are refused (a web page
// elsewhere cannot reach it through DNS rebinding), and the page may run no script but its own.
import { createReadStream, readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLoopback } from '@rabbit-tutorials/connection';
import type { Management } from '@rabbit-tutorials/management';

const PAGE = join(dirname(fileURLToPath(import.meta.url)), '..', 'page');
// The graph layout library's browser build (dagre: layered layout, as exchanges feed queues feed consumers).
const DAGRE = join(dirname(createRequire(import.meta.url).resolve('@dagrejs/dagre')), 'dagre.esm.js');
const FILES: Record<string, [string, string]> = {
  '/': [join(PAGE, 'index.html'), 'text/html; charset=utf-8'],
  '/view.js': [join(PAGE, 'view.js'), 'text/javascript; charset=utf-8'],
  '/view.css': [join(PAGE, 'view.css'), 'text/css; charset=utf-8'],
  '/dagre.js': [DAGRE, 'text/javascript; charset=utf-8'],
};

/** What a demo step uses: its name, and the names (exact, or ending in * for a prefix) of its exchanges and queues. */
export interface Step { name: string; resources: string[] }

export interface ViewOptions {
  api: Management;
  /** The vhost shown first (the page can switch). */
  vhost: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
}

export interface RunningView {
  url: string;
  /** Highlights a step's resources on the page (npm run demo -- --view); undefined: none. */
  setStep(step: Step | undefined): void;
  close(): Promise<void>;
}

type Stats = { message_stats?: Record<string, { rate?: number } | number | undefined> };
const rate = (o: Stats, key: string) => Math.round(((o.message_stats?.[`${key}_details`] as { rate?: number } | undefined)?.rate ?? 0) * 10) / 10;
const enc = encodeURIComponent;
const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'" };

/** The vhost's topology and numbers, in the shape the page draws. */
export async function topology(api: Management, vhost: string) {
  const v = enc(vhost);
  const get = <T>(path: string) => api.request<T>('GET', path);
  const [exchanges, queues, bindings, consumers, connections, channels] = await Promise.all([
    get<({ name: string; type: string; internal: boolean } & Stats)[]>(`/exchanges/${v}?columns=name,type,internal,message_stats`),
    get<({ name: string; type?: string; messages?: number; messages_ready?: number; messages_unacknowledged?: number; consumers?: number; arguments?: Record<string, unknown> } & Stats)[]>(
      `/queues/${v}?columns=name,type,messages,messages_ready,messages_unacknowledged,consumers,message_stats,arguments`),
    get<{ source: string; destination: string; destination_type: string; routing_key: string; arguments: Record<string, unknown> }[]>(`/bindings/${v}`),
    get<{ consumer_tag: string; prefetch_count: number; ack_required: boolean; activity_status?: string; queue: { name: string }; channel_details: { connection_name: string } }[]>(`/consumers/${v}`),
    get<{ name: string; user: string; client_properties?: { connection_name?: string } }[]>(`/vhosts/${v}/connections?columns=name,user,client_properties`),
    get<({ name: string; connection_details: { name: string } } & Stats)[]>(`/vhosts/${v}/channels?columns=name,connection_details,message_stats`),
  ]);
  // Which exchanges each publishing channel sends to (and how fast): only the channels that publish now.
  const publishing = channels.filter((c) => rate(c, 'publish') > 0).slice(0, 50);
  const publishes = (await Promise.all(publishing.map((c) =>
    get<{ publishes?: ({ exchange: { name: string } } & { stats: Stats['message_stats'] })[] }>(`/channels/${enc(c.name)}`)
      .then((d) => (d.publishes ?? []).map((p) => ({ connection: c.connection_details.name, exchange: p.exchange.name, rate: rate({ message_stats: p.stats }, 'publish') })), () => [])))).flat();
  return {
    vhost,
    exchanges: exchanges.filter((e) => !e.name.startsWith('amq.') || bindings.some((b) => b.source === e.name))
      .map((e) => ({ name: e.name, type: e.type, internal: e.internal, rateIn: rate(e, 'publish_in') })),
    queues: queues.map((q) => ({ name: q.name, type: q.type ?? 'classic', messages: q.messages ?? 0, ready: q.messages_ready ?? 0,
      unacked: q.messages_unacknowledged ?? 0, consumers: q.consumers ?? 0, rateIn: rate(q, 'publish'), rateOut: rate(q, 'deliver_get'),
      // Where the queue dead-letters (rejected, expired, over its limits), and how long its messages may wait.
      deadLetter: typeof q.arguments?.['x-dead-letter-exchange'] === 'string'
        ? { exchange: q.arguments['x-dead-letter-exchange'], routingKey: String(q.arguments['x-dead-letter-routing-key'] ?? '') } : undefined,
      ttlMs: typeof q.arguments?.['x-message-ttl'] === 'number' ? q.arguments['x-message-ttl'] : undefined })),
    bindings: bindings.map((b) => ({ source: b.source, destination: b.destination, destinationType: b.destination_type, key: b.routing_key,
      args: Object.fromEntries(Object.entries(b.arguments ?? {}).map(([k, val]) => [k, typeof val === 'string' ? val : JSON.stringify(val)])) })),
    // activity_status: "single_active" or "waiting" on a single-active-consumer queue, "up" elsewhere.
    consumers: consumers.map((c) => ({ tag: c.consumer_tag, queue: c.queue.name, prefetch: c.prefetch_count, ack: c.ack_required, connection: c.channel_details.connection_name,
      activity: c.activity_status === 'single_active' ? 'active' : c.activity_status === 'waiting' ? 'waiting' : undefined })),
    connections: connections.map((c) => ({ id: c.name, name: c.client_properties?.connection_name || c.name, user: c.user })),
    publishes: publishes.filter((p) => p.rate > 0),
  };
}

export async function startView({ api, vhost, host = '127.0.0.1', port = 0 }: ViewOptions): Promise<RunningView> {
  let step: Step | undefined;
  let origin = '';
  // On loopback, only this server's own names: a page on another site cannot read the broker through a
  // rebound DNS name. (Listening elsewhere was asked for: any name that reaches it.)
  let ownHosts: string[] | undefined;
  const send = (res: ServerResponse, status: number, type: string, body: string) =>
    void res.writeHead(status, { 'content-type': type, ...HEADERS }).end(body);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    if (ownHosts && !ownHosts.includes(req.headers.host ?? '')) return send(res, 421, 'text/plain', 'wrong host\n');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only\n');
    const file = FILES[url.pathname];
    if (file) {
      res.writeHead(200, { 'content-type': file[1], ...HEADERS });
      return void createReadStream(file[0]).pipe(res);
    }
    try {
      if (url.pathname === '/api/vhosts') {
        const vhosts = await api.request<{ name: string }[]>('GET', '/vhosts?columns=name');
        return send(res, 200, 'application/json', JSON.stringify({ current: vhost, vhosts: vhosts.map((v) => v.name) }));
      }
      if (url.pathname === '/api/topology') {
        const shown = url.searchParams.get('vhost') ?? vhost;
        return send(res, 200, 'application/json', JSON.stringify({ ...(await topology(api, shown)), step: shown === vhost ? step : undefined }));
      }
    } catch (err) {
      // The page shows it in one line; the password never is in it (the management client's messages name the user only).
      return send(res, 502, 'application/json', JSON.stringify({ error: (err as Error).message.slice(0, 300) }));
    }
    return send(res, 404, 'text/plain', 'not found\n');
  };

  const server = createServer((req, res) => void handle(req, res).catch(() => send(res, 500, 'text/plain', 'error\n')));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  const bound = server.address() as { port: number };
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
  if (isLoopback(host)) ownHosts = [new URL(origin).host, `localhost:${bound.port}`];
  return {
    url: `${origin}/?vhost=${enc(vhost)}`,
    setStep(next) {
      step = next;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The page's files exist (a broken install says so at start, not as a blank page). */
export function checkPage(): void {
  for (const [file] of Object.values(FILES)) readFileSync(file);
}
