/** Autobahn category 13 (permessage-deflate parameters) against our server, scripts/echo-server.ts --compression. */
import { compressionParameterCases } from '../cases/compression.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 13 permessage-deflate parameters', echoServerTestee({ compression: true }), compressionParameterCases);
