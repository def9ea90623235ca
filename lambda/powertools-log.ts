import type { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from './core/log.js';

/** The core's Log on top of a Powertools Logger: structured extras become top-level JSON keys. */
export function powertoolsLog(logger: Logger): Log {
  return {
    debug: (message, extra) => (extra ? logger.debug(message, extra) : logger.debug(message)),
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
    error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
  };
}
