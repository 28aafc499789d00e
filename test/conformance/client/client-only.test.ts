/**
 * What only a client must do (cases/client.ts): fail masked frames from the server with 1002, and
 * leave the TCP close to the server after a clean close. Through scripts/echo-client.ts where the
 * server starts everything; in process, with a Dialer, for a client that starts the closing
 * handshake itself, which the driver never does.
 */
import { Dialer, TextMessage } from '../../../src/index.js';
import { clientClosesCases, maskedFrameCases, tcpCloseCases } from '../cases/client.js';
import { fuzzingServerTestee } from '../harness/fuzzing-server.js';
import { runCases } from '../harness/run-cases.js';
import { clientTestee } from '../harness/testee.js';

runCases('client conformance: what only a client must do', fuzzingServerTestee(), [...maskedFrameCases, ...tcpCloseCases]);

const closingClient = clientTestee('a Dialer that sends "Hello" and closes with 1000 "bye"', (url) => {
  void new Dialer()
    .dial(url)
    .then(async ({ conn }) => {
      await conn.writeMessage(TextMessage, 'Hello');
      await conn.close(1000, 'bye');
    })
    .catch(() => {}); // a broken handshake or close shows on the wire, where the case looks
});

runCases('client conformance: a client that starts the closing handshake', closingClient, clientClosesCases);
