// 403 ACCESS_REFUSED for guest/guest although the password is right: RabbitMQ lets guest log in from
// localhost only (loopback_users), and answers a remote guest exactly as a wrong password. Fix: a user
// of your own. Run it with RABBITMQ_HOST set to the broker's non-loopback address; it creates and then
// deletes that user through the management API (RABBITMQ_MANAGEMENT_URL, as an administrator).
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { UsageError, connect, isLoopback, loadConfig, main } from '@rabbit-tutorials/connection';
import { Management, managementFromEnv } from '@rabbit-tutorials/management';
import { fixed, reproduce, unique } from './case.js';

main(`guest-remote   (RABBITMQ_HOST: the broker's address on the network, not localhost)
Logs in as guest to a non-loopback address (RABBITMQ_HOST): 403 ACCESS_REFUSED although the password is right;
uses the management API (RABBITMQ_MANAGEMENT_URL) to create and delete a user of its own.
Example: npx nx run troubleshoot:guest-remote`, async () => {
  parseArgs({});
  const config = loadConfig();
  if (isLoopback(config.hostname)) throw new UsageError(`RABBITMQ_HOST is ${config.hostname}: from there guest is allowed; use the broker's network address`);
  const guest = { ...config, username: 'guest', password: 'guest' };
  await reproduce(connect({ config: guest }), guest);

  const api = new Management(managementFromEnv());
  const [user, password] = [unique('user'), randomBytes(12).toString('hex')];
  await api.createUser(user, password);
  try {
    await api.setPermissions(config.vhost, user);
    await (await connect({ config: { ...config, username: user, password } })).close();
    fixed(`user "${user}" (not guest) logs in from this host`);
  } finally {
    await api.deleteUser(user);
  }
});
