import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RABBITMQ_IMAGE } from './docker-broker.js';
import { destroyLocalBroker, launchLocalBroker, type LocalBrokerSpec } from './local-broker.js';

/** The official image's own conf.d, restated in fixtures/: what any config we give a container is layered on. */
export function imageConfD(): Record<string, string> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', RABBITMQ_IMAGE.replace(':', '-'), 'conf.d');
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/**
 * Starts a local node configured as a container of the image would be: the image's conf.d, then our
 * layers, then only where this node listens. Checks a container's config where no Docker runs.
 */
export async function startLikeImage(
  layers: (dir: string) => Record<string, string>,
  options: { files?: Record<string, string>; admin?: { username: string; password: string } } = {},
): Promise<{ spec: LocalBrokerSpec; stop: () => Promise<void> }> {
  const spec = await launchLocalBroker({ ...options, layers: (dir) => ({ ...imageConfD(), ...layers(dir) }) });
  return { spec, stop: () => destroyLocalBroker(spec) };
}
