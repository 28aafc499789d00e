/**
 * permessage-deflate, once negotiated, as a connection runs it: a decompressor for what it
 * receives and a compressor for what it sends, each with the parameters of its direction
 * (RFC 7692 §7.1: the client's window and context settings apply to what the client sends).
 */
import type { Role } from '../protocol/core.js';
import { DEFLATE_DEFAULTS, type NegotiatedDeflate } from '../options.js';
import { Compressor } from './compressor.js';
import { Decompressor } from './decompressor.js';
import type { WriteCompression } from './writer.js';

export function setUpDeflate(role: Role, deflate: NegotiatedDeflate | null): { decompressor: Decompressor | null; compression: WriteCompression | null } {
  if (deflate === null) return { decompressor: null, compression: null };
  const p = deflate.params;
  const server = role === 'server';
  const sendBits = server ? p.serverMaxWindowBits : p.clientMaxWindowBits;
  const sendNoContext = server ? p.serverNoContextTakeover : p.clientNoContextTakeover;
  const level = deflate.options.level ?? DEFLATE_DEFAULTS.level;
  const memLevel = deflate.options.memLevel ?? DEFLATE_DEFAULTS.memLevel;
  return {
    decompressor: new Decompressor(server ? p.clientMaxWindowBits : p.serverMaxWindowBits, server ? p.clientNoContextTakeover : p.serverNoContextTakeover),
    compression: {
      compressor: new Compressor({ windowBits: sendBits, noContextTakeover: sendNoContext, level, memLevel }),
      threshold: deflate.options.threshold ?? DEFLATE_DEFAULTS.threshold,
      prepared: { level, windowBits: sendBits, memLevel, shareable: sendNoContext },
    },
  };
}
