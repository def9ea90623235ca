import type { Backend } from './gateway.js';
import { DEFAULT_ROUTE, integrationEvent, type HttpApiIdentity } from './http-api-event.js';
import { integrationEventV1 } from './rest-api-event.js';

/**
 * The built-in integration: answers 200 with the authorizer context and the event a Lambda proxy
 * integration would receive, so a developer sees exactly what their backend will get: payload 2.0
 * (the context at `requestContext.authorizer.lambda`) behind the default flavour, payload 1.0 (the
 * context and `principalId` at `requestContext.authorizer`) behind payload 1.0 and REST.
 */
export function echoBackend(api: HttpApiIdentity): Backend {
  return async (request, authorizerContext, info) => {
    const flavour = info?.api ?? 'http-v2';
    const route = info?.route ?? DEFAULT_ROUTE;
    const event =
      flavour === 'http-v2'
        ? integrationEvent(api, request, authorizerContext, route)
        : integrationEventV1(api, flavour, request, route, authorizerContext, info?.principalId);
    const body = `${JSON.stringify({ authorizer: authorizerContext, event }, null, 2)}\n`;
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
  };
}
