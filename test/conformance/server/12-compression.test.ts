/** Autobahn category 12 (permessage-deflate, default parameters) against our server, scripts/echo-server.ts --compression. */
import { compressionCases } from '../cases/compression.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 12 permessage-deflate', echoServerTestee({ compression: true }), compressionCases);
