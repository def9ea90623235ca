import { AuthorizerError } from '../shared/index.js';

/**
 * The error codes the receiver answers with, per specification: RFC 6749 §5.2 (the logout
 * endpoint's and RFC 7009's error JSON), RFC 7009 §2.2.1 (`unsupported_token_type`) and RFC 8935
 * §2.4 (the SET endpoint's `err`).
 */
export type DeliveryErrorCode =
  // RFC 6749 §5.2 and RFC 8935 §2.4
  | 'invalid_request'
  // RFC 6749 §5.2
  | 'invalid_client'
  | 'unauthorized_client'
  // RFC 7009 §2.2.1
  | 'unsupported_token_type'
  // RFC 8935 §2.4
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed'
  | 'access_denied';

/**
 * A request the receiver refuses (4xx): nothing is published. `error` is the specification's code,
 * `message` a fixed description that names what failed but never echoes a value from the request.
 */
export class DeliveryRefusedError extends AuthorizerError {
  readonly code = 'ERR_DELIVERY_REFUSED';
  constructor(
    readonly status: 400 | 401 | 405 | 413 | 415,
    readonly error: DeliveryErrorCode,
    message: string,
    /** Why, for the log line and tests: a TokenRejectedError's reason, or the receiver's own. */
    readonly reason: string = error,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The revocations were valid but could not be published (SNS refused or was unreachable): 503, so the sender retries. */
export class PublishFailedError extends AuthorizerError {
  readonly code = 'ERR_PUBLISH_FAILED';
}

/** 400 invalid_request: the shorthand of most refusals. */
export function badRequest(
  message: string,
  reason = 'invalid_request',
  error: DeliveryErrorCode = 'invalid_request',
): DeliveryRefusedError {
  return new DeliveryRefusedError(400, error, message, reason);
}
