// 530 NOT_ALLOWED at login: the virtual host does not exist (or the user may not use it). Fix: create it
// (rabbitmqctl add_vhost NAME) and grant the user access, or connect to the right one (RABBITMQ_VHOST).
import { parseArgs } from 'node:util';
import { connect, loadConfig, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce, unique } from './case.js';

main(`missing-vhost
Connects to a virtual host that does not exist: 530 NOT_ALLOWED.
Example: npx nx run troubleshoot:missing-vhost`, async () => {
  parseArgs({});
  const config = loadConfig();
  const missing = unique('vhost');
  await reproduce(connect({ config: { ...config, vhost: missing } }), { ...config, vhost: missing });
  await (await connect({ config })).close();
  fixed(`connected to the vhost that exists, "${config.vhost}"`);
});
