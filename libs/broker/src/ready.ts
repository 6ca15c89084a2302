import { connect as tcpConnect } from 'node:net';

/** How to reach a broker that is starting: its AMQP port and its management API. */
export interface Endpoint {
  host: string;
  amqpPort: number;
  managementUrl: string;
  username: string;
  password: string;
}

/**
 * Does the port speak AMQP? Sends the protocol header and waits for the broker's first frame
 * (connection.start). An open TCP port is not enough: Docker's port proxy accepts connections
 * before the broker in the container listens.
 */
export function amqpAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')));
    socket.once('data', (data: Buffer) => done(data[0] === 1)); // frame type 1: a method frame
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/** Does the management API answer /api/overview for this user? */
export async function managementAnswers(endpoint: Endpoint): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint.managementUrl}/api/overview`, {
      headers: { authorization: `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password}`).toString('base64')}` },
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Waits until the broker answers AMQP and its management API: the same conditions for a local node
 * and a container, at start and after a restart. `failed` tells why waiting is pointless (the
 * process exited), with the log lines to show.
 */
export async function waitUntilReady(
  endpoint: Endpoint,
  { timeoutMs = 90_000, failed }: { timeoutMs?: number; failed?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await amqpAnswers(endpoint.host, endpoint.amqpPort)) || !(await managementAnswers(endpoint))) {
    const reason = failed?.();
    if (reason) throw new Error(reason);
    if (Date.now() > deadline) throw new Error(`RabbitMQ at ${endpoint.host}:${endpoint.amqpPort} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
