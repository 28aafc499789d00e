/**
 * Flow-control windows (RFC 9113 §5.2) of the HTTP/2 sessions this library opens or accepts.
 * HTTP/2's default of 64 KiB per stream and per connection holds a WebSocket to 64 KiB per round
 * trip (1.3 MB/s at 50 ms); 1 MiB per stream lets one stream keep up on a LAN or a fast WAN while
 * still bounding what an unread stream holds, and the connection window leaves room for 16 such
 * streams at once. (Chromium receives with 6 MiB per stream and 15 MiB per connection.)
 */
export const H2_STREAM_WINDOW = 1024 * 1024;
export const H2_SESSION_WINDOW = 16 * 1024 * 1024;
