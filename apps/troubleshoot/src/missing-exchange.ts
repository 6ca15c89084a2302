// 404 NOT_FOUND on publish: the exchange does not exist. The publish itself returns at once; the broker
// then closes the channel, so a confirm channel's waitForConfirms fails and later calls on that channel
// fail too. Fix: declare the exchange (as the emitters do) before publishing.
import { parseArgs } from 'node:util';
import { connect, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main(`missing-exchange
Publishes to an exchange that does not exist: 404 NOT_FOUND, and the channel closes.
Example: npx nx run troubleshoot:missing-exchange`, async () => {
  parseArgs({});
  const connection = await connect();
  try {
    const exchange = unique('exchange');
    const channel = await connection.createConfirmChannel();
    let closedBy = '';
    channel.on('error', (err: Error) => (closedBy = err.message)); // the broker's reason for closing the channel
    channel.publish(exchange, '', Buffer.from('lost'));
    await reproduce(channel.waitForConfirms().then(() => undefined, () => Promise.reject(new Error(closedBy))));
    const fresh = await connection.createConfirmChannel();
    await fresh.assertExchange(exchange, 'fanout', { autoDelete: true });
    fresh.publish(exchange, '', Buffer.from('kept'));
    await fresh.waitForConfirms();
    fixed(`declared exchange '${exchange}' first; the publish is confirmed`);
  } finally {
    await connection.close();
  }
});
