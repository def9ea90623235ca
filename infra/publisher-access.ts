import { Arn, ArnFormat, Lazy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RevocationAuthorizerPropsError } from './props-error.js';

/**
 * Who may publish revocations: the accounts and organizations of IAM principals granted through
 * `grantPublish`, and the accounts AWS services may publish on behalf of. The topic policy denies
 * everyone else, whatever other statement allows them: a revocation can lock users out, so a
 * stray Allow (such as the unconditioned one `targets.SnsTopic` adds for EventBridge) must not
 * open the topic to other accounts.
 */
export class PublisherAllowlist {
  private readonly accounts = new Set<string>();
  private readonly organizations = new Set<string>();
  private readonly serviceSourceAccounts = new Set<string>();

  constructor(ownAccount: string) {
    this.accounts.add(ownAccount);
    this.serviceSourceAccounts.add(ownAccount);
  }

  /**
   * Admits the principal's account (from `principalAccount` or its ARN), else its organization
   * (`aws:PrincipalOrgID`); for an AWS service, the accounts named by its `aws:SourceAccount`
   * condition, else this stack's account. Throws when a non-service principal's account cannot
   * be known, rather than granting a publish that the topic policy would deny.
   */
  admit(principal: iam.IPrincipal): void {
    const { principalJson, conditions } = principal.policyFragment;
    const services = principalJson.Service ?? [];
    const arns = principalJson.AWS ?? [];
    if (services.length > 0) {
      for (const account of conditionValues(conditions, 'aws:SourceAccount')) this.serviceSourceAccounts.add(account);
    }
    if (arns.length === 0) {
      if (services.length > 0) return;
      throw unknownAccount(principal);
    }
    if (principal.principalAccount !== undefined) {
      this.accounts.add(principal.principalAccount);
      return;
    }
    const organizations = conditionValues(conditions, 'aws:PrincipalOrgID');
    const accounts = arns.map(accountOf);
    if (accounts.every((account) => account !== undefined)) {
      for (const account of accounts) this.accounts.add(account);
    } else if (organizations.length > 0) {
      for (const organization of organizations) this.organizations.add(organization);
    } else {
      throw unknownAccount(principal);
    }
  }

  /**
   * The two Deny statements of the topic policy. Their lists are lazy: principals granted after
   * the construct was created are admitted too.
   */
  denyStatements(topicArn: string): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'DenyPublishFromOtherAccounts',
        effect: iam.Effect.DENY,
        principals: [new iam.StarPrincipal()],
        actions: ['sns:Publish'],
        resources: [topicArn],
        conditions: {
          // One operator with two keys: denied when the account is not listed AND (with any
          // organization granted) the organization is not listed either (IAM: keys under one
          // operator are ANDed, values of one key ORed).
          StringNotEquals: Lazy.any({
            produce: () => ({
              'aws:PrincipalAccount': [...this.accounts],
              ...(this.organizations.size > 0 ? { 'aws:PrincipalOrgID': [...this.organizations] } : {}),
            }),
          }),
          // Services carry no principal account; the next statement covers them.
          Bool: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
      new iam.PolicyStatement({
        sid: 'DenyPublishByServicesForOtherAccounts',
        effect: iam.Effect.DENY,
        principals: [new iam.StarPrincipal()],
        actions: ['sns:Publish'],
        resources: [topicArn],
        conditions: {
          Bool: { 'aws:PrincipalIsAWSService': 'true' },
          // IAM, global condition keys: aws:SourceAccount is in the request when a service
          // principal calls on behalf of a resource owner (an EventBridge rule's account); a
          // negated operator also matches when it is absent, so a service naming no account is
          // denied too. This is what stops another account's rule (a confused deputy) publishing.
          StringNotEquals: { 'aws:SourceAccount': Lazy.list({ produce: () => [...this.serviceSourceAccounts] }) },
        },
      }),
    ];
  }
}

/** Values of a condition key under StringEquals, however the principal spelled it (string or list). */
function conditionValues(conditions: iam.Conditions, key: string): string[] {
  const stringEquals = (conditions as Record<string, Record<string, unknown> | undefined>).StringEquals;
  const value = stringEquals?.[key];
  if (value === undefined) return [];
  return [value].flat().filter((entry): entry is string => typeof entry === 'string');
}

/** The account of an IAM ARN or account id; undefined for `*` or anything without one. */
function accountOf(arnOrAccount: string): string | undefined {
  if (Token.isUnresolved(arnOrAccount)) {
    // Known only at deploy time (e.g. a role of another stack): let CloudFormation take it apart.
    return Arn.split(arnOrAccount, ArnFormat.SLASH_RESOURCE_NAME).account;
  }
  if (/^\d{12}$/.test(arnOrAccount)) return arnOrAccount;
  return /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arnOrAccount)?.[1];
}

function unknownAccount(principal: iam.IPrincipal): RevocationAuthorizerPropsError {
  return new RevocationAuthorizerPropsError([
    {
      prop: 'grantPublish',
      message: `cannot tell which account ${principal.toString()} belongs to, so the topic policy would deny its publishes. Grant a role or user (ArnPrincipal with a full ARN), an AccountPrincipal, an OrganizationPrincipal or an AWS service principal`,
    },
  ]);
}
