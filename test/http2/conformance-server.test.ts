/**
 * The conformance cases against our server, each case one stream of a shared HTTP/2 session.
 * Which cases, and why not all: `forHttp2` in conformance-testees.ts.
 */
import { autoFragmentationCases } from '../conformance/cases/autofragmentation.js';
import { closeCases } from '../conformance/cases/close.js';
import { fragmentationCases } from '../conformance/cases/fragmentation.js';
import { framingCases } from '../conformance/cases/framing.js';
import { limitCases } from '../conformance/cases/limits.js';
import { opcodeCases } from '../conformance/cases/opcodes.js';
import { pingCases } from '../conformance/cases/pings.js';
import { reservedBitCases } from '../conformance/cases/reserved-bits.js';
import { utf8Cases } from '../conformance/cases/utf8.js';
import { runCases } from '../conformance/harness/run-cases.js';
import { h2ServerTestee, forHttp2 } from './conformance-testees.js';

const plain = h2ServerTestee();
runCases('h2 server conformance: 1 framing', plain, forHttp2(framingCases));
runCases('h2 server conformance: 2 pings', plain, pingCases);
runCases('h2 server conformance: 3 reserved bits', plain, reservedBitCases);
runCases('h2 server conformance: 4 opcodes', plain, opcodeCases);
runCases('h2 server conformance: 5 fragmentation', plain, fragmentationCases);
runCases('h2 server conformance: 6 UTF-8', plain, utf8Cases);
runCases('h2 server conformance: 7 close', plain, closeCases);
runCases('h2 server conformance: 9 limits', plain, forHttp2(limitCases));
runCases('h2 server conformance: 10 auto-fragmentation', plain, autoFragmentationCases);
