/** API Gateway's side of the authorizer: every event flavour in, the matching response out. */
export { bearerToken, NOT_A_STRING, readAuthorizerEvent, type ApiFlavour, type AuthorizerEvent, type AuthorizerRequest } from './events.js';
export {
  contextOf,
  ResponseBuilder,
  wholeApiArn,
  type AuthorizerContext,
  type AuthorizerResponse,
  type HttpV2Response,
  type PolicyResponse,
  type SimpleResponse,
} from './responses.js';
