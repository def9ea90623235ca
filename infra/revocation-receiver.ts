import { CfnOutput, Duration, Validations, type Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  METRIC_DIMENSIONS,
  RECEIVER_METRICS,
  RECEIVER_ROUTES,
  SERVICE_DIMENSION,
  SERVICE_NAMES,
  type Algorithm,
} from '../lambda/contract/index.js';

/** A SET transmitter (RECEIVER_SET_ISSUERS entry). */
export interface SetTransmitter {
  /** The transmitter's `iss`, matched exactly. */
  readonly issuer: string;
  /**
   * Its key set URL (https).
   * @default - a trusted token issuer's own keys; another transmitter's from its `/.well-known/ssf-configuration` (SSF 1.0)
   */
  readonly jwksUri?: string;
  /** @default - the issuer's algorithms, or the construct's */
  readonly algorithms?: readonly Algorithm[];
}

/** The `receiver` prop: the revocation receiver function and its own HTTP API. */
export interface RevocationReceiverOptions {
  /**
   * Accepted `aud` of logout tokens and SETs (RECEIVER_AUDIENCE): the client id the OP knows this
   * relying party by, the audience the SSF stream was created with.
   * @default - every trusted issuer's audiences
   */
  readonly audience?: readonly string[];
  /** SET transmitters (RECEIVER_SET_ISSUERS). @default - the trusted token issuers */
  readonly setTransmitters?: readonly SetTransmitter[];
  /**
   * A Secrets Manager secret whose value is RECEIVER_CLIENTS' JSON, `{"client_id":"sha256:<hex of
   * the secret>"}`: the RFC 7009 clients. The function reads it at cold start (granted
   * `secretsmanager:GetSecretValue` on it alone); nothing of it is in the template or the
   * function's configuration.
   * @default - no client: POST /oauth2/revoke answers 401 invalid_client
   */
  readonly clientsSecret?: secretsmanager.ISecret;
  /** A custom domain for the receiver's API (its default stage is mapped to it). @default - the execute-api URL */
  readonly domainName?: apigwv2.IDomainName;
  /**
   * Stage throttling: requests per second (steady) and burst. Every request costs an invocation
   * and, for an unknown key id, possibly a key set fetch (at most once per JWKS_COOLDOWN_MS); the
   * senders are a few identity providers, so a low limit costs them nothing and caps what a flood
   * of forged tokens can cost.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: apigwv2.ThrottleSettings;
  /** Refused deliveries (4xx) in 5 minutes that raise the DeliveriesRefused alarm. @default 5 */
  readonly refusedAlarmThreshold?: number;
}

export interface RevocationReceiverProps extends RevocationReceiverOptions {
  readonly function: lambda.Function;
  readonly namespace: string;
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * The receiver's HTTP API (POST /oidc/backchannel-logout, /ssf/events, /oauth2/revoke to the
 * function), its throttled default stage with an access log, the three URLs as outputs, and alarms
 * on refused and failed deliveries. The function itself is created by RevocationAuthorizer.
 */
export class RevocationReceiver extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The URLs to register with identity providers, by route. */
  readonly urls: Readonly<Record<keyof typeof RECEIVER_ROUTES, string>>;

  constructor(scope: Construct, id: string, props: RevocationReceiverProps) {
    super(scope, id);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Revocation receiver: OIDC Back-Channel Logout, RFC 8935 SETs, RFC 7009',
      createDefaultStage: false,
    });
    const accessLog = new logs.LogGroup(this, 'AccessLog', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLog) },
      ...(props.domainName === undefined ? {} : { domainMapping: { domainName: props.domainName } }),
    });
    const integration = new HttpLambdaIntegration('Receiver', props.function);
    for (const path of Object.values(RECEIVER_ROUTES)) {
      this.api.addRoutes({ path, methods: [apigwv2.HttpMethod.POST], integration });
    }
    // The receiver authenticates each request itself: a signed logout token or SET from a trusted
    // issuer, or RFC 7009 client credentials. An API Gateway authorizer would have nothing to check.
    for (const route of this.api.node.findAll().filter((child) => child instanceof apigwv2.HttpRoute)) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'Each request carries its own proof, checked by the function: a signed logout token or SET, or RFC 7009 client credentials',
      });
    }

    const base = props.domainName === undefined ? this.api.apiEndpoint : `https://${props.domainName.name}`;
    this.urls = {
      backchannelLogout: `${base}${RECEIVER_ROUTES.backchannelLogout}`,
      securityEvents: `${base}${RECEIVER_ROUTES.securityEvents}`,
      tokenRevocation: `${base}${RECEIVER_ROUTES.tokenRevocation}`,
    };
    new CfnOutput(this, 'BackchannelLogoutUrl', {
      value: this.urls.backchannelLogout,
      description: "Register as the OP's backchannel_logout_uri for this relying party (OIDC Back-Channel Logout 1.0 §2.2)",
    });
    new CfnOutput(this, 'SecurityEventsUrl', {
      value: this.urls.securityEvents,
      description: 'The endpoint_url of an SSF stream with delivery method urn:ietf:rfc:8935 (push)',
    });
    new CfnOutput(this, 'TokenRevocationUrl', {
      value: this.urls.tokenRevocation,
      description: 'The RFC 7009 revocation endpoint for the clients in RECEIVER_CLIENTS',
    });

    const metric = (name: string, endpoint: string) =>
      new cloudwatch.Metric({
        namespace: props.namespace,
        metricName: name,
        dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAMES.receiver, [METRIC_DIMENSIONS.endpoint]: endpoint },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    const sumOverEndpoints = (name: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: Object.keys(RECEIVER_ROUTES)
          .map((_, index) => `FILL(m${index}, 0)`)
          .join(' + '),
        usingMetrics: Object.fromEntries(Object.keys(RECEIVER_ROUTES).map((endpoint, index) => [`m${index}`, metric(name, endpoint)])),
        label,
        period: Duration.minutes(5),
      });
    const alarm = (alarmId: string, metricOf: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric: metricOf,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmAction !== undefined) created.addAlarmAction(props.alarmAction);
      this.alarms.push(created);
    };
    alarm(
      'DeliveriesRefused',
      sumOverEndpoints(RECEIVER_METRICS.deliveriesRefused, 'Refused deliveries'),
      props.refusedAlarmThreshold ?? 5,
      'The receiver refused logout tokens, SETs or revocation requests (4xx): a misconfigured audience, key or client at an identity provider (its revocations are not applied), or forged deliveries. The log line of each names its reason.',
    );
    alarm(
      'DeliveriesFailed',
      sumOverEndpoints(RECEIVER_METRICS.deliveriesFailed, 'Failed deliveries'),
      1,
      'The receiver answered 5xx: a key set or SNS was unavailable; senders retry, and what they give up on is not applied.',
    );
  }
}

/** The receiver's environment beyond the issuer variables it shares with the authorizer. */
export function receiverEnvironment(props: RevocationReceiverOptions, topicArn: string, stack: Stack): Record<string, string> {
  return {
    REVOCATION_TOPIC_ARN: topicArn,
    ...(props.audience === undefined ? {} : { RECEIVER_AUDIENCE: props.audience.join(',') }),
    ...(props.setTransmitters === undefined
      ? {}
      : {
          RECEIVER_SET_ISSUERS: stack.toJsonString(
            props.setTransmitters.map((entry) => ({
              issuer: entry.issuer,
              ...(entry.jwksUri === undefined ? {} : { jwksUri: entry.jwksUri }),
              ...(entry.algorithms === undefined ? {} : { algorithms: [...entry.algorithms] }),
            })),
          ),
        }),
    ...(props.clientsSecret === undefined ? {} : { RECEIVER_CLIENTS_SECRET_ARN: props.clientsSecret.secretArn }),
  };
}
