/** Autobahn category 2 (pings and pongs) against our client, through scripts/echo-client.ts. */
import { pingCases } from '../cases/pings.js';
import { runCases } from '../harness/run-cases.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';

runCases('client conformance: 2 pings and pongs', fuzzingServerTestee(), pingCases);
