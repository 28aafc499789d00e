/** Autobahn category 5 fragmentation against our client, through scripts/echo-client.ts. */
import { fragmentationCases } from '../cases/fragmentation.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 5 fragmentation', fuzzingServerTestee(), fragmentationCases);
