/** Autobahn category 2 (pings and pongs) against our server, scripts/echo-server.ts. */
import { pingCases } from '../cases/pings.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 2 pings and pongs', echoServerTestee(), pingCases);
