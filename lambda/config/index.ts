/** The functions' environment → typed settings: the loaders the Lambda entries call at cold start, and the reader local/ reuses. */
export { EnvReader, type Environment } from './env-reader.js';
export { loadAuthorizerConfig, loadIngestConfig, type AuthorizerConfig, type IngestConfig } from './load-config.js';
export { loadSnapshotWriterConfig, type SnapshotWriterConfig } from './snapshot-config.js';
export { loadFeedWriterConfig, type FeedWriterConfig } from './feed-config.js';
export type { RequestSettings } from './request-settings.js';
export { loadReceiverConfig, parseClients, type ReceiverConfig } from './receiver-config.js';
