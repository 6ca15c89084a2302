import type { TestProject } from 'vitest/node';
import { destroyLocalCluster, hasLocalRabbitmq, launchLocalCluster } from '@rabbit-tutorials/broker';

/** The cluster project's three-node cluster: started once here, stopped at the end. */
export default async function setup(project: TestProject) {
  if (!hasLocalRabbitmq()) {
    project.provide('cluster', { skip: 'no rabbitmq-server on this machine: the cluster tests run three local nodes (apt-get install rabbitmq-server)' });
    return;
  }
  const started = Date.now();
  const cluster = await launchLocalCluster({ size: 3 });
  console.log(`[cluster] tests use ${cluster.nodes.map((n) => `${n.nodeName} (AMQP ${n.ports.amqp})`).join(', ')}, formed in ${Date.now() - started} ms`);
  project.provide('cluster', { cluster });
  return () => destroyLocalCluster(cluster);
}
