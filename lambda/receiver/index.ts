/**
 * The revocation receiver: standards in (OIDC Back-Channel Logout 1.0, RFC 8935 pushed SETs of the
 * Shared Signals Framework with CAEP and RISC events, RFC 7009), the project's revocation messages
 * out to the topic, so every revocation takes the one ingest path.
 */
export { authenticateClient, parseSecretHash, type ClientSecrets } from './client-authentication.js';
export { DeliveryRefusedError, PublishFailedError, type DeliveryErrorCode } from './errors.js';
export { BACKCHANNEL_LOGOUT_EVENT, readLogoutToken, type LogoutToken } from './logout-token.js';
export { createReceiverHandler, type ReceiverDependencies, type ReceiverHandler, type ReceiverRecorder } from './receiver-handler.js';
export { ReplayCache } from './replay-cache.js';
export { messageBody, revocationOf, type OutgoingRevocation } from './revocation-messages.js';
export { SnsRevocationPublisher, type RevocationPublisher } from './revocation-publisher.js';
export { INFORMATIONAL_EVENTS, readSecurityEvent, REVOKING_EVENTS, type MappedEvent, type SecurityEvent } from './security-event.js';
export type { ReceiverSettings } from './settings.js';
export { resolveSubject, type RevocationTarget, type SubjectContext, type SubjectPreference } from './subject-identifiers.js';
