/** Autobahn category 1 (framing) against our server, scripts/echo-server.ts. */
import { framingCases } from '../cases/framing.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 1 framing', echoServerTestee(), framingCases);
