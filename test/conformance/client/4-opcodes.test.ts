/** Autobahn category 4 opcodes against our client, through scripts/echo-client.ts. */
import { opcodeCases } from '../cases/opcodes.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 4 opcodes', fuzzingServerTestee(), opcodeCases);
