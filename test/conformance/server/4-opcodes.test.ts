/** Autobahn category 4 opcodes against our server, scripts/echo-server.ts. */
import { opcodeCases } from '../cases/opcodes.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance: 4 opcodes', echoServerTestee(), opcodeCases);
