export { type BrokerInfo, brokerUrl, brokerctl, resolveBroker, restartBroker, servesStreamClient, type StartedBroker, versionAtLeast } from './broker.js';
export { composeV2, dockerAvailable, urlHost } from './docker-broker.js';
export { startLikeImage } from './image-node.js';
export { listeners } from './listeners.js';
export { createLocalBroker, destroyLocalBroker, hasLocalRabbitmq, launchLocalBroker, type LocalBrokerSpec, rabbitmqctl, startLocalBroker, stopLocalBroker } from './local-broker.js';
export { freePort } from './ports.js';
export { AppProcess, ROOT, alive, spawnApp } from './process.js';
export { destroyLocalCluster, launchLocalCluster, type LocalClusterSpec } from './local-cluster.js';
export { awaitOnlineMembers, type ClusterInfo, type ClusterNode, freezeNode, killNode, managementOf, nodeRunning, nodesUrl, resolveCluster, restartNode, startNode, startStreamCoordinator, thawNode, waitForMembers } from './cluster.js';
