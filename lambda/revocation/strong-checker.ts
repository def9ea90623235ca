import type { MaybePromise, RevocationReason } from '../shared/index.js';
import type { FailModePolicy } from './fail-mode-policy.js';
import type { RevocableToken } from './reader-writer.js';
import type { ViewRevocationChecker } from './revocation-checker.js';
import type { RevocationView } from './revocation-view.js';

/**
 * REVOCATION_CONSISTENCY=strong: a token memory does not refuse is checked with a consistent read
 * of its keys on every request. That read is authoritative, so no delta sync runs; memory only
 * short-cuts tokens already known to be revoked. A failed read: the fail mode answers.
 */
export class StrongChecker implements ViewRevocationChecker {
  constructor(
    readonly view: RevocationView,
    private readonly failMode: FailModePolicy,
  ) {}

  load(): Promise<void> {
    return this.failMode.load();
  }

  findRevocation(token: RevocableToken, nowMs: number): MaybePromise<RevocationReason | undefined> {
    return this.view.lookup(token, nowMs) ?? this.checkConsistently(token, nowMs);
  }

  private async checkConsistently(token: RevocableToken, nowMs: number): Promise<RevocationReason | undefined> {
    try {
      await this.view.readToken(token, nowMs);
    } catch {
      return this.failMode.answer(token, nowMs, 'the consistent revocation read failed');
    }
    return this.view.lookup(token, nowMs);
  }
}
