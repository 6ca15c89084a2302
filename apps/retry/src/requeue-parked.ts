// Delayed retry, the way back: lists the messages in retry.parked with why they are there (--list), or
// sends them back to retry.work for a new round of attempts (all of them, or those named with --id).
// Each is copied, confirmed, then acked: a crash in between leaves it in both queues, never in neither,
// and the worker's idempotency makes the double harmless.
import { parseArgs } from 'node:util';
import { connect, loadConfig, main, printable, sendCopy } from '@rabbit-tutorials/connection';
import { PARKED, WORK, parkedQueue, workQueue } from './topology.js';

// Headers the broker owns or the worker added: a message sent back starts its attempts afresh.
const RESET = /^x-(death|first-death-|last-death-|delivery-count|exception-message)/;

main(`requeue-parked [--list] [--id ID]...
Lists the messages parked in "retry.parked" with why (--list), or sends them back to "retry.work" for a
new round (all, or those named by --id).
Example: npx nx run retry:requeue-parked -- --list`, async () => {
  const { values } = parseArgs({ options: { list: { type: 'boolean' }, id: { type: 'string', multiple: true } } });
  const connection = await connect({ config: loadConfig() });
  const channel = await connection.createConfirmChannel();
  const { messageCount } = await channel.assertQueue(PARKED, parkedQueue());
  await channel.assertQueue(WORK, workQueue());
  let sent = 0;
  // The messages there now, read one by one; those not sent back return to the queue when the channel closes.
  for (let i = 0; i < messageCount; i++) {
    const message = await channel.get(PARKED);
    if (!message) break;
    const id = String(message.properties.messageId ?? '');
    const reason = String(message.properties.headers?.['x-exception-message'] ?? '(no reason given)');
    if (values.list) {
      console.log(` ${printable(id || '(no id)', 60)}  ${printable(reason)}\n     ${printable(message.content.toString('utf8'))}`);
      continue;
    }
    if (values.id && !values.id.includes(id)) continue;
    const kept = Object.fromEntries(Object.entries(message.properties.headers ?? {}).filter(([name]) => !RESET.test(name)));
    sendCopy(channel, WORK, { ...message, properties: { ...message.properties, headers: kept } }, {});
    await channel.waitForConfirms();
    channel.ack(message);
    sent++;
    console.log(` [x] Sent back ${printable(id || '(no id)', 60)} (${printable(reason)})`);
  }
  if (!values.list) console.log(` [x] ${sent} message(s) sent back to ${WORK}`);
  else if (messageCount === 0) console.log(` [x] ${PARKED} is empty`);
  await channel.close();
  await connection.close();
});
