// Broker and network errors as one line that says what went wrong and what to do. Broker replies keep
// their code and name (e.g. 406 PRECONDITION_FAILED) so they can be searched for.
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type RabbitConfig, describeTarget, isLoopback, redact } from './config.js';

/** A failure already explained in one line for the user; `fatal`: retrying cannot fix it. */
export class BrokerError extends Error {
  override name = 'BrokerError';
  constructor(message: string, readonly fatal: boolean, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad command-line arguments: printed with the usage line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The AMQP reply code and text in an amqplib error, from its fields or its message. */
function amqpReply(err: Error): { code: number; text: string } | undefined {
  // amqplib drops the reply of a refused connection.open; the broker only refuses it with 530.
  if (/^Expected ConnectionOpenOk; got <ConnectionClose/.test(err.message)) return { code: 530, text: 'NOT_ALLOWED - vhost refused' };
  const match = /(\d{3}) \([A-Z_-]+\) with message "(.*)"/s.exec(err.message);
  if (match) return { code: Number(match[1]), text: match[2]! };
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? { code, text: err.message } : undefined;
}

const TLS_UNTRUSTED = /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;
/** amqplib read the first bytes of the answer as an AMQP frame: they were something else (HTTP, ...). */
const NOT_AMQP = /^Frame size \d+ exceeds maxFrameSize/;

/** Errors that retrying cannot fix: wrong credentials, missing vhost, TLS trust, topology conflicts. */
export function isFatal(err: unknown): boolean {
  if (err instanceof BrokerError) return err.fatal;
  const reply = err instanceof Error ? amqpReply(err) : undefined;
  // A queue whose node is still starting (just after a broker restart), or a stream whose replica
  // there is not running yet (just declared by another client), passes.
  if (reply) {
    return ([403, 404, 405, 406, 530].includes(reply.code) && !/is down or inaccessible|does not have a running replica/.test(reply.text)) ||
      reply.text.includes('transient_nonexcl_queues');
  }
  const code = String((err as { code?: unknown })?.code ?? '');
  return TLS_UNTRUSTED.test(code) || /^(ERR_TLS|ERR_SSL|CERT_)/.test(code) || NOT_AMQP.test((err as Error)?.message);
}

type Describer = (err: unknown, config?: RabbitConfig) => string | undefined;
const describers: Describer[] = [];

/** Another protocol's failures said in one line too (libs/stream adds the stream client's). */
export function describeAlso(describer: Describer): void {
  describers.push(describer);
}

/** One line that says what went wrong and what to do about it; `config` names the broker, user and vhost. */
export function describeError(err: unknown, config?: RabbitConfig): string {
  for (const describe of describers) {
    const line = describe(err, config);
    if (line !== undefined) return redact(line);
  }
  if (!(err instanceof Error)) return redact(String(err));
  // Errors written for the user already (also the management client's): keep their words.
  if (['BrokerError', 'UsageError', 'ConfigError', 'ManagementError'].includes(err.name)) return redact(err.message);
  const reply = amqpReply(err);
  if (reply) return redact(describeReply(reply, config));
  const at = config ? ` at ${describeTarget(config)}` : '';
  const host = config?.tls?.servername ?? config?.hostname; // the name checked in the broker certificate
  const code = String((err as { code?: unknown }).code ?? '');
  const syscall = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)\b/.exec(`${code} ${err.message}`)?.[1] ?? '';
  const lines: [boolean, string][] = [
    [syscall === 'ECONNREFUSED', `cannot reach the broker${at}: connection refused (is RabbitMQ running and listening there?)`],
    [/ENOTFOUND|EAI_AGAIN/.test(syscall), `cannot reach the broker${at}: host ${host ?? ''} not found (check RABBITMQ_HOST or RABBITMQ_URL)`.replace('host  ', 'host ')],
    [syscall === 'ETIMEDOUT', `timed out connecting to the broker${at} (check the address, a firewall, or raise RABBITMQ_CONNECT_TIMEOUT_MS)`],
    [syscall === 'EHOSTUNREACH', `cannot reach the broker${at}: host unreachable`],
    [syscall === 'ECONNRESET', `the broker${at} closed the connection during the handshake (plain AMQP to a TLS port, or a client certificate it requires?)`],
    [TLS_UNTRUSTED.test(code), `TLS: the broker certificate${at} is not trusted (${code}): set RABBITMQ_SSL_CA to the CA file that signed it`],
    [code === 'ERR_TLS_CERT_ALTNAME_INVALID', `TLS: the broker certificate does not name "${host ?? 'the host'}": connect by a name in the certificate or set RABBITMQ_SSL_SERVERNAME`],
    [code === 'CERT_HAS_EXPIRED', `TLS: the broker certificate${at} has expired`],
    [/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/.test(code), `TLS: the broker${at} requires a client certificate: set RABBITMQ_SSL_CERT and RABBITMQ_SSL_KEY`],
    [/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/.test(code), `TLS: the broker${at} rejected the client certificate (${code}): it must be signed by a CA the broker trusts`],
    [/^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)$/.test(code), `TLS: the broker${at} did not answer with TLS: is the port its TLS port (usually 5671)?`],
    [err.message === 'Heartbeat timeout', `the broker${at} stopped answering: no heartbeat for two intervals (frozen, overloaded, or the network path is gone)`],
    [NOT_AMQP.test(err.message), `the port${at} answered, but not with AMQP (the management port, or another service's?): check RABBITMQ_PORT or RABBITMQ_URL`],
    [err.message === 'socket hang up' || /Socket closed abruptly/.test(err.message),
      `the broker${at} closed the connection during the handshake (a load balancer with no broker behind it, TLS settings, or a client certificate it requires?)`],
  ];
  return lines.find(([matches]) => matches)?.[1] ?? redact(code && !err.message.includes(code) ? `${err.message} (${code})` : err.message);
}

function describeReply({ code, text }: { code: number; text: string }, config?: RabbitConfig): string {
  const detail = text.replace(/^[A-Z_]+ - /, '');
  const tag = `(${code} ${/^([A-Z_]+) - /.exec(text)?.[1] ?? 'AMQP'})`;
  const [vhost, user] = [config?.vhost ?? '/', config?.username ?? '?'];
  const grant = `rabbitmqctl set_permissions -p ${shellQuote(vhost)} ${config?.username ?? 'USER'} '.*' '.*' '.*'`;
  if (code === 403 && /Login was refused/.test(text)) {
    // The broker gives guest the same answer from another host (loopback_users) as for a wrong password.
    const why = user === 'guest' && config && !isLoopback(config.hostname)
      ? 'guest may only connect from localhost: set RABBITMQ_USER and RABBITMQ_PASSWORD to a user of that broker' : 'wrong user name or password';
    return `access refused: user "${user}" could not log in${config ? ` to ${describeTarget(config)}` : ''}: ${why} ${tag}`;
  }
  if (code === 530 && text === 'NOT_ALLOWED - vhost refused') {
    return `virtual host "${vhost}" refused for user "${user}": if it does not exist, create it with rabbitmqctl add_vhost ${shellQuote(vhost)}; else grant the user access: ${grant} ${tag}`;
  }
  if (code === 530 && /vhost .* not found/.test(text)) return `virtual host "${vhost}" does not exist: create it with rabbitmqctl add_vhost ${shellQuote(vhost)} ${tag}`;
  if ((code === 530 || code === 403) && /access to vhost/.test(text)) return `user "${user}" has no permissions on virtual host "${vhost}": grant them with ${grant} ${tag}`;
  const inequivalent = /inequivalent arg '([^']+)' for (queue|exchange) '([^']*)' in vhost '([^']*)': received (.+) but current is (.+)$/.exec(detail);
  if (code === 406 && inequivalent) {
    const [, arg, kind, name, vh, received, current] = inequivalent as unknown as string[];
    // "the value 'quorum' of type 'longstr'" → 'quorum'; "none" → not set.
    const value = (v: string) => (v === 'none' ? 'not set' : v.replace(/^the value ('[^']*') of type '\w+'$/, '$1'));
    const remove = kind === 'queue' ? `rabbitmqctl delete_queue -p ${shellQuote(vh!)} ${shellQuote(name!)}`
      : `the management UI or rabbitmqadmin -V ${shellQuote(vh!)} delete exchange name=${shellQuote(name!)}`;
    return `${kind} '${name}' in vhost '${vh}' already exists with ${arg} = ${value(current!)}, but this program declares ${arg} = ${value(received!)}: ` +
      `declare it with the same arguments, or delete it (${remove}) if its messages can go ${tag}`;
  }
  const missing = /no (queue|exchange) '([^']*)' in vhost '([^']*)'/.exec(detail);
  if (code === 404 && missing) return `${missing[1]} '${missing[2]}' does not exist in vhost '${missing[3]}': start the program that declares it first, or declare it here ${tag}`;
  if (code === 405) return `${detail}: another connection holds this exclusive queue ${tag}`;
  // RabbitMQ 4 names the permission: "configure access to queue ...".
  const denied = /^(?:(configure|write|read) )?access to (queue|exchange) '([^']*)' in vhost '([^']*)' refused for user '([^']*)'$/.exec(detail);
  if (code === 403 && denied) {
    return `${detail}: its ${denied[1] ? `${denied[1]} permission does` : 'permissions do'} not cover this ${denied[2]}; grant what the program needs with ` +
      `rabbitmqctl set_permissions -p ${shellQuote(denied[4]!)} ${shellQuote(denied[5]!)} CONFIGURE WRITE READ ${tag}`;
  }
  if (code === 406 && /^unknown delivery tag \d+$/.test(detail)) {
    return `${detail}: this channel has no such delivery: it was acked already, or it came on another channel (one closed by ` +
      `a reconnect: the broker delivers its unacked messages again) ${tag}`;
  }
  const timedOut = /^delivery acknowledgement on channel \d+ timed out\. Timeout value used: (\d+) ms/.exec(detail);
  if (code === 406 && timedOut) {
    return `a delivery was not acked within the broker's consumer timeout (${timedOut[1]} ms): the broker closed the channel and ` +
      `delivers the message again; ack sooner, or raise consumer_timeout ${tag}`;
  }
  if (text.includes('transient_nonexcl_queues')) {
    return 'this broker refuses non-durable shared queues (RabbitMQ 4.3 and later): use RABBITMQ_QUEUE_TYPE=quorum, or permit them in its ' +
      `configuration with deprecated_features.permit.transient_nonexcl_queues = true ${tag}`;
  }
  if (code === 320) return `the broker closed the connection: ${detail} ${tag}`;
  return `${detail} ${tag}`;
}

/** A word as a shell takes it, for the commands the error lines suggest. */
export function shellQuote(s: string): string {
  return /^[\w./-]+$/.test(s) && s !== '/' ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** RabbitMQ's other well-known ports: the most common mistake is one of them for AMQP's 5672. */
const OTHER_PORTS: Record<number, string> = {
  15672: 'the management UI', 15671: 'the management UI over TLS', 15692: 'the Prometheus endpoint', 15691: 'the Prometheus endpoint over TLS',
  5552: 'the stream protocol port', 5551: 'the stream protocol TLS port', 25672: 'the Erlang distribution port (clustering, CLI tools)',
  4369: 'epmd, the Erlang port mapper', 1883: 'the MQTT port', 61613: 'the STOMP port',
};

/**
 * Whether the broker port answers AMQP: it sends AMQP's protocol header and reads the first bytes for
 * at most 1.5 s. Undefined if it does (or says nothing this probe can read); else, one line saying what
 * listens there instead (an HTTP GET tells the management UI and the Prometheus endpoint apart).
 */
export async function notAmqp(config: RabbitConfig, known = false): Promise<string | undefined> {
  if (known && !OTHER_PORTS[config.port]) return undefined;
  const first = (hello: string) => new Promise<Buffer | undefined>((resolve) => {
    const options = { host: config.hostname, port: config.port, servername: config.tls?.servername, rejectUnauthorized: false };
    const socket = config.tls ? tlsConnect(options) : tcpConnect(options);
    const done = (data?: Buffer) => {
      socket.destroy();
      resolve(data);
    };
    socket.once(config.tls ? 'secureConnect' : 'connect', () => socket.write(hello));
    socket.once('data', done).once('error', () => done()).once('close', () => done(Buffer.alloc(0)));
    socket.setTimeout(1500, () => done(Buffer.alloc(0)));
  });
  const reply = await first('AMQP\x00\x00\x09\x01');
  // No connection at all (refused...): the attempt itself says so. Frame type 1, or "AMQP": it is AMQP.
  if (reply === undefined || reply[0] === 1 || reply.subarray(0, 4).toString() === 'AMQP') return undefined;
  const at = `port ${config.port} at ${config.hostname}`;
  // A TLS alert or handshake record: plain AMQP sent to a TLS port.
  if (!config.tls && (reply[0] === 0x15 || reply[0] === 0x16)) return `${at} answers with TLS: connect with amqps:// (or RABBITMQ_SSL=on)`;
  const http = (await first(`GET /metrics HTTP/1.0\r\nHost: ${config.hostname}\r\n\r\n`))?.toString('latin1') ?? '';
  // Silent to both on a port that is none of RabbitMQ's others: a frozen or overloaded broker says nothing
  // either. No proof of another service: the attempt's own error (a timeout) speaks, and it is retried.
  if (reply.length === 0 && http === '' && !OTHER_PORTS[config.port]) return undefined;
  const what = !http.startsWith('HTTP/') ? OTHER_PORTS[config.port] ?? 'another service'
    : /^# (TYPE|HELP) /m.test(http) ? 'an HTTP server: the Prometheus endpoint (rabbitmq_prometheus)'
      : /content-security-policy/i.test(http) ? 'an HTTP server: the management UI' : 'an HTTP server';
  return `${at} is ${what}, not AMQP: RabbitMQ listens for AMQP on 5672 (5671 with TLS); check RABBITMQ_PORT or the port in RABBITMQ_URL`;
}
