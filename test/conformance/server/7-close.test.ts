/** Autobahn category 7 close handling against our server, scripts/echo-server.ts. */
import { closeCases } from '../cases/close.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 7 close handling', echoServerTestee(), closeCases);
