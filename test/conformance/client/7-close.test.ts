/** Autobahn category 7 close handling against our client, through scripts/echo-client.ts. */
import { closeCases } from '../cases/close.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 7 close handling', fuzzingServerTestee(), closeCases);
