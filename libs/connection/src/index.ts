export { type Address, ConfigError, asciiHost, atAddress, describeAddresses, describeTarget, isLoopback, loadConfig, redact, streamParams, type RabbitConfig, type TlsConfig } from './config.js';
export { connect, type ConnectOptions, tryEachAddress } from './connect.js';
export { BrokerError, UsageError, describeError } from './errors.js';
export { closeWithin, intOption, log, main, messageText, printable, sendCopy, stop, untilShutdown } from './program.js';
