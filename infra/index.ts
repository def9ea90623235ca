export {
  RevocationAuthorizer,
  type HttpAuthorizerOptions,
  type RestAuthorizerOptions,
  type RestTokenAuthorizerOptions,
  type RevocationAuthorizerProps,
  type RevocationConsistency,
  type RevocationFailMode,
  type TrustedIssuer,
} from './revocation-authorizer.js';
export { RevocationAuthorizerPropsError, type PropProblem } from './props-error.js';
export { RevocationAuthorizerExampleStack, type RevocationAuthorizerExampleStackProps } from './example-stack.js';
export * from '../lambda/contract/metric-names.js';
