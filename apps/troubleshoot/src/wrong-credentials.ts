// 403 ACCESS_REFUSED at login: a wrong user name or password. Retrying cannot fix it, so our connect()
// fails at once (no retries) with one line that never shows the password. Fix: the right credentials.
import { parseArgs } from 'node:util';
import { connect, loadConfig, main } from '@rabbit-tutorials/connection';
import { fixed, reproduce } from './case.js';

main(`wrong-credentials
Logs in with a wrong password: 403 ACCESS_REFUSED, at once and without retries, the password never shown.
Example: npx nx run troubleshoot:wrong-credentials`, async () => {
  parseArgs({});
  const config = loadConfig();
  await reproduce(connect({ config: { ...config, password: `${config.password}-wrong` } }));
  await (await connect({ config })).close();
  fixed(`user "${config.username}" logs in with the right password`);
});
