/**
 * Autobahn category 10: a 64 KiB text message sent auto-fragmented in frames of 1300 bytes (as a
 * sender with a frame size limit does) is echoed whole.
 */
import type { ConformanceCase } from '../harness/run-cases.js';
import { continuation, text } from '../harness/wire.js';
import { pieces, textPayload } from './payloads.js';

export const autoFragmentationCases: ConformanceCase[] = [
  {
    id: '10.1.1',
    title: 'a 65536-byte text message in frames of 1300 bytes (51 frames) is echoed whole',
    async run(peer) {
      const payload = textPayload(65536);
      const parts = pieces(payload, 1300);
      await peer.send(parts.map((p, i) => (i === 0 ? text(p, false) : continuation(p, i === parts.length - 1))));
      await peer.expectMessage('text', payload);
      await peer.closeNormally();
    },
  },
];
