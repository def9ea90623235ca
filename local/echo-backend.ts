import type { Backend } from './gateway.js';
import { integrationEvent, type HttpApiIdentity } from './http-api-event.js';

/**
 * The built-in integration: answers 200 with the authorizer context and the payload 2.0 event a
 * Lambda proxy integration would receive (where the context is `requestContext.authorizer.lambda`),
 * so a developer sees exactly what their backend will get.
 */
export function echoBackend(api: HttpApiIdentity): Backend {
  return async (request, authorizerContext) => {
    const body = `${JSON.stringify({ authorizer: authorizerContext, event: integrationEvent(api, request, authorizerContext) }, null, 2)}\n`;
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
  };
}
