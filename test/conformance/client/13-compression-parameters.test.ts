/** Autobahn category 13 (permessage-deflate parameters) against our client, through scripts/echo-client.ts --compression. */
import { compressionParameterCases } from '../cases/compression.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';
import { runCases } from '../harness/run-cases.js';

runCases('client conformance: 13 permessage-deflate parameters', fuzzingServerTestee({ compression: true }), compressionParameterCases);
