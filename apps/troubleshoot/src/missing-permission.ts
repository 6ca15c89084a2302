// 403 ACCESS_REFUSED on a resource: the user may log in to the vhost, but its permissions (configure,
// write, read: regular expressions over resource names) do not cover this queue. The broker closes the
// channel. Fix: grant what the program needs, and no more (rabbitmqctl set_permissions).
// Needs the management API (RABBITMQ_MANAGEMENT_URL) and a user allowed to manage users.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { connect, loadConfig, main } from '@rabbit-tutorials/connection';
import { Management, managementFromEnv } from '@rabbit-tutorials/management';
import { fixed, reproduce, unique } from './case.js';

main(`missing-permission
Uses a queue its user has no permission for (a user it creates through the management API): 403 ACCESS_REFUSED.
Example: npx nx run troubleshoot:missing-permission`, async () => {
  parseArgs({});
  const config = loadConfig();
  const api = new Management(managementFromEnv());
  const [user, password, queue] = [unique('user'), randomBytes(12).toString('hex'), unique('queue')];
  await api.createUser(user, password);
  try {
    await api.setPermissions(config.vhost, user, '^$', '^$', '^$'); // may log in, may touch nothing
    const limited = { ...config, username: user, password };
    const connection = await connect({ config: limited });
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await reproduce(channel.assertQueue(queue, { exclusive: true }), limited);
    await connection.close();

    await api.setPermissions(config.vhost, user, `^${queue}$`, `^${queue}$`, `^${queue}$`);
    const granted = await connect({ config: limited });
    await (await granted.createChannel()).assertQueue(queue, { exclusive: true });
    await granted.close();
    fixed(`granted "${user}" configure, write and read on '${queue}' only: the declare succeeds`);
  } finally {
    await api.deleteUser(user);
  }
});
