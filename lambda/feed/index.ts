/**
 * The change feed (docs/scale.md, "The change feed"): the page format (pure), the store (the page
 * and head I/O, and the authorizer's FeedReader) and the one writer that publishes the change
 * index as pages. Built on lambda/revocation/, which never imports it.
 */
export {
  decodeFeedPage,
  encodeFeedPage,
  FEED_FORMAT_VERSION,
  FEED_PAGE_MAX_BYTES,
  FEED_PAGE_MIN_BYTES,
  normaliseForFeed,
  splitIntoPages,
  type DecodedFeedPage,
  type FeedPageProblem,
  type FeedPageProblemReason,
  type NormalisedRevocation,
} from './feed-format.js';
export { FeedStore, type FeedPageRefusal, type FeedStoreOptions } from './feed-store.js';
export {
  dedupeKey,
  FeedWriter,
  type FeedRunReport,
  type FeedStepOutcome,
  type FeedStepReport,
  type FeedWriterOptions,
  type FeedWriterStore,
} from './feed-writer.js';
