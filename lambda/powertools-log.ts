import { LogLevelThreshold, type Logger } from '@aws-lambda-powertools/logger';
import type { Log } from './shared/index.js';

/** The folders' Log on top of a Powertools Logger: structured extras become top-level JSON keys. */
export function powertoolsLog(logger: Logger): Log {
  // Every allowed decision logs at debug, and Powertools reads process.env on each call before it
  // checks the level (the X-Ray trace id; even `logger.level` reads AWS_LAMBDA_MAX_CONCURRENCY),
  // about a microsecond per decision. So the level is read once, here: nothing in this project
  // changes it after the cold start (no setLogLevel, no per-invocation sample rate refresh, no
  // log buffering, which would keep debug lines).
  const debugEnabled = logger.level <= LogLevelThreshold.DEBUG;
  return {
    debugEnabled,
    debug: (message, extra) => {
      if (!debugEnabled) return;
      if (extra) logger.debug(message, extra);
      else logger.debug(message);
    },
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
    error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
  };
}
