export { ConfigError, describeTarget, isLoopback, loadConfig, redact } from './config.js';
export type { RabbitConfig, TlsConfig } from './config.js';
export { connect, explain } from './connect.js';
export type { ConnectOptions } from './connect.js';
export { BrokerError, UsageError, describeError } from './errors.js';
export { finishWork, intOption, log, main, messageText, printable, stop, untilShutdown } from './program.js';
