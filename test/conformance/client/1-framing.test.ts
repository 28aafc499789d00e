/** Autobahn category 1 (framing) against our client, through scripts/echo-client.ts. */
import { framingCases } from '../cases/framing.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 1 framing', fuzzingServerTestee(), framingCases);
