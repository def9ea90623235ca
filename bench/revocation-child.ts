/**
 * Child process of `npm run bench`, run with --expose-gc so heap deltas are clean: the revocation
 * view at BENCH_ENTRIES live jti entries (memory per entry, lookup latency) against plain Maps of
 * the same data. Prints `@@RESULT {json}`.
 */
import { measureLookups, measureMapLookups, measureMemory } from './revocation-measure.js';
import { reportResult } from './support/processes.js';

const entries = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const memory = measureMemory(entries);
const lookups = await measureLookups(entries);
const mapLookups = measureMapLookups(entries);
reportResult({ memory, lookups, mapLookups });
process.exit(0);
