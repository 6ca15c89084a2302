import { redact } from './config.js';

/** A failure already explained in one line for the user (no stack trace needed). */
export class BrokerError extends Error {
  override name = 'BrokerError';
  constructor(message: string, readonly fatal: boolean, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad command-line arguments: printed with the usage line, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

interface AmqpReply {
  code: number;
  text: string;
}

/** The AMQP reply code and text in an amqplib error, from its fields or its message. */
export function amqpReply(err: unknown): AmqpReply | undefined {
  if (!(err instanceof Error)) return undefined;
  // amqplib drops the reply of a refused connection.open; the broker only refuses it with 530.
  if (/^Expected ConnectionOpenOk; got <ConnectionClose/.test(err.message)) return { code: 530, text: 'NOT_ALLOWED - vhost refused' };
  const match = /(\d{3}) \([A-Z_-]+\) with message "(.*)"/s.exec(err.message);
  if (match) return { code: Number(match[1]), text: match[2]! };
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? { code, text: err.message } : undefined;
}

const TLS_UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

/** Errors that retrying cannot fix: wrong credentials, missing vhost, TLS trust, topology conflicts. */
export function isFatal(err: unknown): boolean {
  if (err instanceof BrokerError) return err.fatal;
  const reply = amqpReply(err);
  if (reply) return [403, 404, 405, 406, 530].includes(reply.code);
  const code = String((err as { code?: unknown })?.code ?? '');
  return TLS_UNTRUSTED.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.startsWith('CERT_');
}

export interface ErrorContext {
  /** Broker address without the password, e.g. amqp://guest@localhost:5672/%2F. */
  target?: string;
  user?: string;
  vhost?: string;
  host?: string;
}

/**
 * One line that says what went wrong and what to do about it. Broker replies keep their code and
 * name (e.g. 406 PRECONDITION_FAILED) so they can be searched for.
 */
export function describeError(err: unknown, ctx: ErrorContext = {}): string {
  if (!(err instanceof Error)) return redact(String(err));
  // Errors written for the user already (also the management client's): keep their words.
  if (err instanceof BrokerError || err instanceof UsageError || ['ConfigError', 'ManagementError'].includes(err.name)) {
    return redact(err.message);
  }
  const at = ctx.target ? ` at ${ctx.target}` : '';
  const reply = amqpReply(err);
  if (reply) return redact(describeReply(reply, ctx));

  const code = String((err as { code?: unknown }).code ?? '');
  const syscallCode = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)\b/.exec(`${code} ${err.message}`)?.[1];
  switch (syscallCode) {
    case 'ECONNREFUSED': return `cannot reach the broker${at}: connection refused (is RabbitMQ running and listening there?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN': return `cannot reach the broker${at}: host ${ctx.host ?? ''} not found (check RABBITMQ_HOST or RABBITMQ_URL)`.replace('host  ', 'host ');
    case 'ETIMEDOUT': return `timed out connecting to the broker${at} (check the address, a firewall, or raise RABBITMQ_CONNECT_TIMEOUT_MS)`;
    case 'EHOSTUNREACH': return `cannot reach the broker${at}: host unreachable`;
    case 'ECONNRESET': return `the broker${at} closed the connection during the handshake (plain AMQP to a TLS port, or a client certificate it requires?)`;
  }
  if (TLS_UNTRUSTED.has(code)) {
    return `TLS: the broker certificate${at} is not trusted (${code}): set RABBITMQ_SSL_CA to the CA file that signed it`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `TLS: the broker certificate does not name "${ctx.host ?? 'the host'}": connect by a name in the certificate or set RABBITMQ_SSL_SERVERNAME`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `TLS: the broker certificate${at} has expired`;
  if (/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/.test(code)) {
    return `TLS: the broker${at} requires a client certificate: set RABBITMQ_SSL_CERT and RABBITMQ_SSL_KEY`;
  }
  if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/.test(code)) {
    return `TLS: the broker${at} rejected the client certificate (${code}): it must be signed by a CA the broker trusts`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return `TLS: the broker${at} did not answer with TLS: is the port its TLS port (usually 5671)?`;
  }
  if (err.message === 'socket hang up' || /Socket closed abruptly/.test(err.message)) {
    return `the broker${at} closed the connection during the handshake (TLS settings or a client certificate it requires?)`;
  }
  return redact(code && !err.message.includes(code) ? `${err.message} (${code})` : err.message);
}

function describeReply({ code, text }: AmqpReply, ctx: ErrorContext): string {
  const detail = text.replace(/^[A-Z_]+ - /, '');
  const tag = `(${code} ${/^([A-Z_]+) - /.exec(text)?.[1] ?? 'AMQP'})`;
  const vhost = ctx.vhost ?? '/';
  if (code === 403 && /Login was refused/.test(text)) {
    return `access refused: user "${ctx.user ?? '?'}" could not log in${ctx.target ? ` to ${ctx.target}` : ''}: wrong user name or password ${tag}`;
  }
  if (code === 530 && text === 'NOT_ALLOWED - vhost refused') {
    return `virtual host "${vhost}" refused for user "${ctx.user ?? '?'}": if it does not exist, create it with rabbitmqctl add_vhost ${shellQuote(vhost)}; ` +
      `else grant the user access: rabbitmqctl set_permissions -p ${shellQuote(vhost)} ${ctx.user ?? 'USER'} '.*' '.*' '.*' ${tag}`;
  }
  if (code === 530 && /vhost .* not found/.test(text)) {
    return `virtual host "${vhost}" does not exist: create it with rabbitmqctl add_vhost ${shellQuote(vhost)} ${tag}`;
  }
  if ((code === 530 || code === 403) && /access to vhost/.test(text)) {
    return `user "${ctx.user ?? '?'}" has no permissions on virtual host "${vhost}": grant them with rabbitmqctl set_permissions -p ${shellQuote(vhost)} ${ctx.user ?? 'USER'} '.*' '.*' '.*' ${tag}`;
  }
  const inequivalent = /inequivalent arg '([^']+)' for (queue|exchange) '([^']*)' in vhost '([^']*)': received (.+) but current is (.+)$/.exec(detail);
  if (code === 406 && inequivalent) {
    const [, arg, kind, name, vh] = inequivalent;
    // "the value 'quorum' of type 'longstr'" → 'quorum'; "none" → not set.
    const value = (v: string) => (v === 'none' ? 'not set' : v.replace(/^the value ('[^']*') of type '\w+'$/, '$1'));
    const [wanted, current] = [value(inequivalent[5]!), value(inequivalent[6]!)];
    const remove = kind === 'queue'
      ? `rabbitmqctl delete_queue -p ${shellQuote(vh!)} ${shellQuote(name!)}`
      : `the management UI or rabbitmqadmin -V ${shellQuote(vh!)} delete exchange name=${shellQuote(name!)}`;
    return `${kind} '${name}' in vhost '${vh}' already exists with ${arg} = ${current}, but this program declares ${arg} = ${wanted}: ` +
      `declare it with the same arguments, or delete it (${remove}) if its messages can go ${tag}`;
  }
  const missing = /no (queue|exchange) '([^']*)' in vhost '([^']*)'/.exec(detail);
  if (code === 404 && missing) {
    return `${missing[1]} '${missing[2]}' does not exist in vhost '${missing[3]}': start the program that declares it first, or declare it here ${tag}`;
  }
  if (code === 405) return `${detail}: another connection holds this exclusive queue ${tag}`;
  if (code === 320) return `the broker closed the connection: ${detail} ${tag}`;
  return `${detail} ${tag}`;
}

function shellQuote(s: string): string {
  return /^[\w./-]+$/.test(s) && s !== '/' ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
