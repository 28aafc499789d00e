/** Autobahn category 6 UTF-8 against our server, scripts/echo-server.ts. */
import { utf8Cases } from '../cases/utf8.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 6 UTF-8', echoServerTestee(), utf8Cases);
