/** Autobahn category 9 limits and performance against our server, scripts/echo-server.ts. */
import { limitCases } from '../cases/limits.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 9 limits and performance', echoServerTestee(), limitCases);
