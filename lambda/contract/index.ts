/**
 * What infra/ and local/ share with the functions: defaults, limits, the algorithm list, metric
 * names, the table schema and function timeouts. Plain constants, no imports: the only part of
 * lambda/ that infra/ may import (test/architecture.test.ts).
 */
export { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS, type Algorithm } from './algorithms.js';
export { CONSISTENCY_LEVELS, DEFAULTS, FAIL_MODES, RESPONSE_MODES, type ResponseMode } from './defaults.js';
export { splitList } from './environment.js';
export { FUNCTION_TIMEOUT_SECONDS, INIT_DEADLINE_MS, READ_DEADLINE_CAP_MS, READ_DEADLINE_MAX_MS } from './function-timeouts.js';
export { LIMITS } from './limits.js';
export * from './metric-names.js';
export { REVOCATION_TABLE_SCHEMA } from './table-schema.js';
