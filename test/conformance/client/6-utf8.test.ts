/** Autobahn category 6 UTF-8 against our client, through scripts/echo-client.ts. */
import { utf8Cases } from '../cases/utf8.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 6 UTF-8', fuzzingServerTestee(), utf8Cases);
