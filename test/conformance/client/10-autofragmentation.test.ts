/** Autobahn category 10 auto-fragmentation against our client, through scripts/echo-client.ts. */
import { autoFragmentationCases } from '../cases/autofragmentation.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 10 auto-fragmentation', fuzzingServerTestee(), autoFragmentationCases);
