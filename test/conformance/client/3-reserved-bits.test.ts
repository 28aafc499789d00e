/** Autobahn category 3 reserved bits against our client, through scripts/echo-client.ts. */
import { reservedBitCases } from '../cases/reserved-bits.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 3 reserved bits', fuzzingServerTestee(), reservedBitCases);
