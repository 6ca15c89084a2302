export { type Address, ConfigError, asciiHost, atAddress, describeAddresses, describeTarget, intVar, isLoopback, loadConfig, redact, type RabbitConfig, type TlsConfig } from './config.js';
export { connect, type ConnectOptions } from './connect.js';
export { BrokerError, UsageError, describeAlso, describeError, isFatal, shellQuote } from './errors.js';
export { intOption, log, main, messageText, printable, sendCopy, shutdownOnSignal, stop, untilShutdown } from './program.js';
