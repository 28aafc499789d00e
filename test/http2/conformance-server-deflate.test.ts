/** The permessage-deflate conformance cases against our server, each case one stream of a shared HTTP/2 session. */
import { compressionCases, compressionParameterCases } from '../conformance/cases/compression.js';
import { runCases } from '../conformance/harness/run-cases.js';
import { compressionForHttp2, h2ServerTestee } from './conformance-testees.js';

const compressed = h2ServerTestee({ compression: true });
runCases('h2 server conformance: 12 permessage-deflate', compressed, compressionForHttp2(compressionCases));
runCases('h2 server conformance: 13 permessage-deflate parameters', compressed, compressionParameterCases);
