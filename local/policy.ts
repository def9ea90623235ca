/**
 * How API Gateway reads an IAM policy a Lambda authorizer returns (payload 1.0, REST): the
 * request's ARN is allowed when an `execute-api:Invoke` Allow statement covers it and no Deny
 * statement does (an explicit Deny wins; nothing matching is an implicit deny). `*` in a Resource
 * matches any run of characters, `?` any one ("IAM JSON policy elements: Resource").
 */

/** What a policy response decides for one ARN, or why it is no policy response at all. */
export type PolicyDecision =
  | { readonly kind: 'allow'; readonly context: Record<string, unknown> }
  | { readonly kind: 'explicit-deny' | 'implicit-deny'; readonly context: Record<string, unknown> }
  | { readonly kind: 'invalid'; readonly why: string };

/** Evaluates an authorizer's answer against the invoked ARN. */
export function evaluatePolicyResponse(result: unknown, arn: string): PolicyDecision {
  if (typeof result !== 'object' || result === null) return { kind: 'invalid', why: 'the answer is not an object' };
  const { principalId, policyDocument, context } = result as Record<string, unknown>;
  if (typeof principalId !== 'string') return { kind: 'invalid', why: 'principalId must be a string' };
  const statements = (policyDocument as { Statement?: unknown } | undefined)?.Statement;
  if (!Array.isArray(statements)) return { kind: 'invalid', why: 'policyDocument.Statement must be a list' };
  const contextProblem = contextProblemOf(context);
  if (contextProblem !== undefined) return { kind: 'invalid', why: contextProblem };
  const values = (context ?? {}) as Record<string, unknown>;
  let allowed = false;
  for (const statement of statements as Record<string, unknown>[]) {
    if (!listOf(statement.Action).some((action) => action === 'execute-api:Invoke' || action === 'execute-api:*' || action === '*'))
      continue;
    if (!listOf(statement.Resource).some((resource) => covers(resource, arn))) continue;
    if (statement.Effect === 'Deny') return { kind: 'explicit-deny', context: values };
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? { kind: 'allow', context: values } : { kind: 'implicit-deny', context: values };
}

/**
 * REST APIs and payload 1.0 take only string, number and boolean context values ("Output from an
 * API Gateway Lambda authorizer"); anything else makes API Gateway answer 500.
 */
export function contextProblemOf(context: unknown): string | undefined {
  if (context === undefined || context === null) return undefined;
  if (typeof context !== 'object' || Array.isArray(context)) return 'context must be an object';
  for (const [name, value] of Object.entries(context)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) return `context.${name} is not a string, number or boolean`;
  }
  return undefined;
}

/** Whether an IAM Resource (with `*` and `?` wildcards) covers `arn`. */
export function covers(resource: string, arn: string): boolean {
  const pattern = resource
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`, 's').test(arn);
}

function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}
