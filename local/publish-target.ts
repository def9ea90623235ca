import { resolve } from 'node:path';
import type { Environment } from '../lambda/config/index.js';
import { EnvReader } from '../lambda/config/index.js';
import { LOCAL_PATHS } from './local-routes.js';
import { localTopicArn } from './sns-endpoint.js';
import { readStackState } from './stack-state.js';

/** Where revocations go: the local stack's SNS endpoint, or a topic on AWS. */
export type PublishTarget =
  | {
      readonly kind: 'local';
      readonly endpoint: string;
      readonly topicArn: string;
      readonly region: string;
      /** Known when the stack's state file was found. */
      readonly deadLetterPath: string | undefined;
      /** What chose the endpoint, so an unreachable one can be blamed on the right setting. */
      readonly chosenBy: 'AWS_ENDPOINT_URL_SNS' | 'PORT' | 'state file' | 'default';
    }
  | {
      readonly kind: 'aws';
      readonly topicArn: string;
      readonly region: string;
      /** AWS_ENDPOINT_URL_SNS when set (LocalStack and the like), else undefined: SNS's own endpoint. */
      readonly endpoint: string | undefined;
    };

/** Thrown for a target that cannot be used; the message names the variable. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The target, from the environment:
 * 1. REVOCATION_TOPIC_ARN: that topic on AWS, in the ARN's region (AWS_ENDPOINT_URL_SNS still
 *    applies, for LocalStack and the like);
 * 2. else the local stack: AWS_ENDPOINT_URL_SNS if set, else port PORT on this machine, else the
 *    stack whose state file is in DATA_DIR, else port 3000.
 */
export function resolvePublishTarget(env: Environment, cwd = process.cwd()): PublishTarget {
  const read = new EnvReader(env);
  const topicArn = read.optional('REVOCATION_TOPIC_ARN');
  if (topicArn !== undefined) {
    const region = topicArn.split(':')[3];
    if (!/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$/.test(topicArn) || !region) {
      throw new TargetError(`REVOCATION_TOPIC_ARN must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got "${topicArn}"`);
    }
    return { kind: 'aws', topicArn, region, endpoint: read.optional('AWS_ENDPOINT_URL_SNS') ?? read.optional('AWS_ENDPOINT_URL') };
  }
  const region = read.string('AWS_REGION', read.string('AWS_DEFAULT_REGION', 'us-east-1'));
  const explicit = read.optional('AWS_ENDPOINT_URL_SNS');
  const port = read.optional('PORT');
  const state = readStackState(resolve(cwd, read.string('DATA_DIR', '.data')));
  if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new TargetError(`PORT must be the local stack's port, got "${port}"`);
  const [endpoint, chosenBy] =
    explicit !== undefined
      ? ([explicit, 'AWS_ENDPOINT_URL_SNS'] as const)
      : port !== undefined
        ? ([`http://127.0.0.1:${port}${LOCAL_PATHS.sns}`, 'PORT'] as const)
        : state !== undefined
          ? ([state.snsEndpoint, 'state file'] as const)
          : ([`http://127.0.0.1:3000${LOCAL_PATHS.sns}`, 'default'] as const);
  const fromState = state !== undefined && state.snsEndpoint === endpoint;
  return {
    chosenBy,
    kind: 'local',
    endpoint,
    topicArn: fromState ? state.topicArn : localTopicArn(region),
    region: fromState ? state.region : region,
    deadLetterPath: fromState ? state.deadLetterPath : undefined,
  };
}
