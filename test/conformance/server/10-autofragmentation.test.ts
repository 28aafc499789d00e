/** Autobahn category 10 auto-fragmentation against our server, scripts/echo-server.ts. */
import { autoFragmentationCases } from '../cases/autofragmentation.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 10 auto-fragmentation', echoServerTestee(), autoFragmentationCases);
