/** Every scenario group, in the order a full run measures them. */
import { broadcast } from './broadcast.js';
import type { Group } from './common.js';
import { connections, deflate, handshakes, pingpong, pipelined } from './echo.js';
import { fanout } from './fanout.js';
import { http2 } from './http2.js';
import { idle } from './idle.js';
import { masking, parser, reads } from './micro.js';
import { scale } from './scale.js';

export const GROUPS: readonly Group[] = [pingpong, pipelined, connections, broadcast, fanout, idle, scale, handshakes, http2, deflate, parser, masking, reads];
