export { type Address, ConfigError, atAddress, describeAddresses, describeTarget, isLoopback, loadConfig, redact, streamParams, type RabbitConfig, type TlsConfig } from './config.js';
export { connect, type ConnectOptions, tryEachAddress } from './connect.js';
export { BrokerError, UsageError, describeError } from './errors.js';
export { intOption, log, main, messageText, printable, stop, untilShutdown } from './program.js';
