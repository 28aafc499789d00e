/** Autobahn category 12 (permessage-deflate, default parameters) against our client, through scripts/echo-client.ts --compression. */
import { compressionCases } from '../cases/compression.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';
import { runCases } from '../harness/run-cases.js';

runCases('client conformance: 12 permessage-deflate', fuzzingServerTestee({ compression: true }), compressionCases);
