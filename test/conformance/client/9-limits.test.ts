/** Autobahn category 9 limits and performance against our client, through scripts/echo-client.ts. */
import { limitCases } from '../cases/limits.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 9 limits and performance', fuzzingServerTestee(), limitCases);
