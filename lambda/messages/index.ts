/**
 * Revocation messages → Revocation[]: the project's own format, WSO2's, and the field readers they
 * share. Pure: no AWS, no clock of its own. The ingest parses with it; the revoke CLI checks with
 * the same parser before it publishes.
 */
export {
  defaultRevokedAtMs,
  isPlainObject,
  looksLikeJwt,
  MAX_ID_BYTES,
  MAX_ISSUER_BYTES,
  MAX_TOKEN_BYTES,
  readTokenRevocation,
  revocationFromToken,
  type MessageRules,
  type TokenRevocationFields,
} from './message-fields.js';
export { MAX_BATCH_ENTRIES, MESSAGE_TYPES, MESSAGE_VERSION, type MessageType } from './own-format.js';
export {
  coalesceRevocations,
  MAX_MESSAGE_BYTES,
  MESSAGE_FORMATS,
  parseRevocationMessage,
  readRevocationMessage,
  type MessageAttributes,
  type MessageFormat,
  type ReadMessage,
} from './parse-message.js';
export { WSO2_ENTITY_TYPES, WSO2_TYPES, type NotApplicable } from './wso2-events.js';
