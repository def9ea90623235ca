/**
 * The example app: `npx cdk deploy -c config=infra/environments/NAME.json` (see docs/deploy.md).
 * Settings come from CDK context and that file only (infra/app-settings.ts), never from the shell.
 */
import { Annotations, App, Errors } from 'aws-cdk-lib';
import { AppSettingsError, PLACEHOLDER_ISSUER, readAppSettings } from './app-settings.js';
import { RevocationAuthorizerExampleStack } from './example-stack.js';
import { RevocationAuthorizerPropsError } from './props-error.js';

const app = new App();

try {
  const settings = readAppSettings((key) => app.node.tryGetContext(key));
  const stack = new RevocationAuthorizerExampleStack(app, settings.stackName, {
    description: 'Revocation-aware JWT authorizer for API Gateway, with an example HTTP API',
    // The account and region of the CLI's credentials (the CLI sets these); without any, synth
    // stays environment-agnostic.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    authorizer: settings.authorizer,
    alarmEmail: settings.alarmEmail,
  });
  if (settings.placeholderIssuer) {
    Annotations.of(stack).addWarningV2(
      'revocation-authorizer-example:placeholder-issuer',
      `allowPlaceholderIssuer: the authorizer trusts only the placeholder ${PLACEHOLDER_ISSUER.issuer} and refuses every real token. Configure an issuer before deploying.`,
    );
  }
  app.synth();
} catch (error) {
  // A setting or prop at fault: its message names it and says what to do; a stack trace would
  // only bury that. Anything else is a bug and keeps its trace.
  if (error instanceof AppSettingsError || error instanceof RevocationAuthorizerPropsError || Errors.isValidationError(error)) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
