export { CONFIG_VARIABLES, ConfigError, describeTarget, intVar, loadConfig, parseSwitch, redact } from './config.js';
export type { RabbitConfig, TlsConfig } from './config.js';
export { amqplibOptions, connect, connectRecovering, connectionName, explain } from './connect.js';
export { BrokerError, UsageError, amqpReply, describeError, isFatal } from './errors.js';
export { log } from './log.js';
export { main, runConsumer, runProducer } from './service.js';
export type { ConsumeOptions, ConsumerContext, ConsumerOptions, MessageHandler, ProducerContext } from './service.js';
