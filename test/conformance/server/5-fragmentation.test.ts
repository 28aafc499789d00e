/** Autobahn category 5 fragmentation against our server, scripts/echo-server.ts. */
import { fragmentationCases } from '../cases/fragmentation.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 5 fragmentation', echoServerTestee(), fragmentationCases);
