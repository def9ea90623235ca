export { RevocationAuthorizer } from './revocation-authorizer.js';
export { RevocationAuthorizerBase } from './authorizer-base.js';
export { RevocationAuthorizerReplica, type RevocationAuthorizerReplicaProps } from './revocation-authorizer-replica.js';
export type {
  HttpAuthorizerOptions,
  HttpResponseType,
  RestAuthorizerOptions,
  RestTokenAuthorizerOptions,
  RevocationAuthorizerProps,
  RevocationConsistency,
  RevocationFailMode,
  RevocationFunctionOptions,
  TrustedIssuer,
} from './props.js';
export { RevocationAuthorizerPropsError, type PropProblem } from './props-error.js';
export * from '../lambda/contract/metric-names.js';
