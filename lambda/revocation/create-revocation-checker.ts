import { silentLog } from '../shared/index.js';
import { EventualChecker } from './eventual-checker.js';
import { FailModePolicy } from './fail-mode-policy.js';
import type { ViewRevocationChecker } from './revocation-checker.js';
import { RevocationView, type RevocationViewOptions } from './revocation-view.js';
import { StrongChecker } from './strong-checker.js';

/** The authorizer's revocation checker for its settings: a view, its fail mode, and the policy REVOCATION_CONSISTENCY names. */
export function createRevocationChecker(options: RevocationViewOptions): ViewRevocationChecker {
  const view = new RevocationView(options);
  const failMode = new FailModePolicy(view, options.settings, options.log ?? silentLog);
  return options.settings.consistency === 'strong' ? new StrongChecker(view, failMode) : new EventualChecker(view, failMode);
}
