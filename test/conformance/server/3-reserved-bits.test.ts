/** Autobahn category 3 reserved bits against our server, scripts/echo-server.ts. */
import { reservedBitCases } from '../cases/reserved-bits.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 3 reserved bits', echoServerTestee(), reservedBitCases);
