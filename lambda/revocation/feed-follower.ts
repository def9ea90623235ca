import { REVOCATION_TABLE_SCHEMA as SCHEMA } from '../contract/index.js';
import type { FeedHead } from './reader-writer.js';

/**
 * How far ahead of this instance's clock a feed writer's `feedAt` may be and still be followed: the
 * clocks of Lambda hosts are NTP-synchronised to well under this; a `feedAt` further ahead is a
 * clock gone wrong, and following it would date the view in the future.
 */
export const FEED_CLOCK_ALLOWANCE_MS = 1000;

/** What one sync does with the feed state a head read returned. */
export type FeedPlan =
  /** Nothing to follow: the feed is absent, stale, ahead of this clock, or following is turned off. */
  | { readonly kind: 'unusable' }
  /** The view holds every page the head names: only the head's time is new. */
  | { readonly kind: 'current' }
  /** Read pages first .. last, then the view is as current as the head. */
  | { readonly kind: 'pages'; readonly first: number; readonly last: number }
  /** Query the change index (no position in the feed yet, or too far behind it), then adopt a position. */
  | { readonly kind: 'query' };

/**
 * An authorizer instance's position in the change feed (docs/scale.md, "The change feed"): the
 * last page whose revocations its view holds, every earlier page's too. One job: the rules that
 * say whether the feed can be followed, which pages to read, and where a view that read the change
 * index itself may start following. The view does the reads and keeps the times.
 */
export class FeedFollower {
  /** The last page the view holds (with all before it); undefined while it has no position. */
  private cursor: number | undefined;
  /** The newest `feedAt` of a head this position was taken or moved with. */
  private newestAtMs = -Infinity;

  /** @param maxLagMs REVOCATION_FEED_MAX_LAG_MS: the oldest `feedAt` followed; 0 never follows. */
  constructor(private readonly maxLagMs: number) {}

  /** The last page applied, or undefined before the view found its position. */
  get position(): number | undefined {
    return this.cursor;
  }

  /**
   * What to do with `feed`, read now (`nowWallMs`): follow it only while its writer read the change
   * index at most REVOCATION_FEED_MAX_LAG_MS ago, and not from the future; read its new pages, all
   * of them in one go, or query the change index when there is no position or the pages the view
   * lacks have been overwritten in the ring (more than SCHEMA.feed.slots behind).
   */
  plan(feed: FeedHead | undefined, nowWallMs: number): FeedPlan {
    if (feed === undefined || this.maxLagMs === 0) return { kind: 'unusable' };
    if (feed.atMs > nowWallMs + FEED_CLOCK_ALLOWANCE_MS || nowWallMs - feed.atMs > this.maxLagMs) return { kind: 'unusable' };
    // A newer head naming an earlier page is a feed begun again (its state removed and the feed
    // turned on again): the pages after this position are not the ones it read. A replica that
    // lags shows an older head, never a newer one with an earlier page.
    if (this.cursor !== undefined && feed.seq < this.cursor && feed.atMs > this.newestAtMs) this.cursor = undefined;
    if (this.cursor === undefined) return { kind: 'query' };
    if (feed.seq <= this.cursor) return { kind: 'current' };
    if (feed.seq - this.cursor > SCHEMA.feed.slots) return { kind: 'query' };
    return { kind: 'pages', first: this.cursor + 1, last: feed.seq };
  }

  /** Pages up to `feed.seq` were read and applied. */
  advance(feed: FeedHead): void {
    if (this.cursor === undefined || feed.seq > this.cursor) this.cursor = feed.seq;
    if (feed.atMs > this.newestAtMs) this.newestAtMs = feed.atMs;
  }

  /**
   * The view read the change index itself, and now holds every write stamped up to
   * `coveredThroughMs` (its query's start minus the overlap); `feed` was read before that query
   * began. Pages 1 .. seq hold only writes stamped up to seqAt (1 .. base: up to baseAt), so the
   * view may skip them when that bound is covered; the writes before the feed began were read by
   * the view's own load and queries (the head existed before this query). Otherwise the position
   * stays unknown and a later query, reaching further, tries again.
   */
  adopt(feed: FeedHead | undefined, coveredThroughMs: number): void {
    if (feed === undefined) return;
    let position: number | undefined;
    if (feed.seqAtMs <= coveredThroughMs) position = feed.seq;
    else if (feed.baseAtMs <= coveredThroughMs) position = feed.base;
    // A position is only ever moved forward by adoption: pages the view holds stay held.
    if (position !== undefined && (this.cursor === undefined || position > this.cursor)) this.cursor = position;
    if (position !== undefined && feed.atMs > this.newestAtMs) this.newestAtMs = feed.atMs;
  }
}
