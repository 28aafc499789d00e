/**
 * The echo server reads with `forEachMessage()`; these categories run again against it reading
 * with `for await` (`--for-await`), so both ways of reading meet fragmented, invalid and closing
 * input on the wire. Category 12 covers inflation with both.
 */
import { closeCases } from '../cases/close.js';
import { compressionCases } from '../cases/compression.js';
import { fragmentationCases } from '../cases/fragmentation.js';
import { utf8Cases } from '../cases/utf8.js';
import { runCases } from '../harness/run-cases.js';
import { echoServerTestee } from '../harness/testee.js';

runCases('server conformance, for await: 5 fragmentation', echoServerTestee({ forAwait: true }), fragmentationCases);
runCases('server conformance, for await: 6 UTF-8', echoServerTestee({ forAwait: true }), utf8Cases);
runCases('server conformance, for await: 7 close handling', echoServerTestee({ forAwait: true }), closeCases);
runCases('server conformance, for await: 12 compression', echoServerTestee({ compression: true, forAwait: true }), compressionCases);
