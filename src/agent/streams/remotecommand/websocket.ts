/**
 * remotecommand over WebSocket (`v5.channel.k8s.io`, also `v4.channel.k8s.io`): binary messages whose
 * first byte is the channel — 0 stdin, 1 stdout, 2 stderr, 3 error (final Status), 4 resize; v5 adds
 * 255 = close signal `[255, channel]` (the client's stdin EOF is `FF 00`).
 */
import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { newSession, parseTerminalSize, type RemoteCommandOptions, type RemoteCommandSession } from './session.js';

export const WEBSOCKET_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

function channelWriter(ws: WebSocket, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (ws.readyState !== ws.OPEN) return cb();
      ws.send(Buffer.concat([Buffer.from([channel]), chunk]), { binary: true }, () => cb());
    },
  });
}

export function webSocketSession(ws: WebSocket, options: RemoteCommandOptions): RemoteCommandSession {
  const stdin = options.stdin ? new PassThrough() : undefined;
  const { session, resized, clientGone } = newSession({
    options,
    stdin,
    stdout: options.stdout ? channelWriter(ws, STDOUT) : undefined,
    stderr: options.stderr ? channelWriter(ws, STDERR) : undefined,
    async sendStatus(status) {
      if (ws.readyState !== ws.OPEN) return;
      await new Promise<void>((resolve) => ws.send(Buffer.concat([Buffer.from([ERROR]), Buffer.from(status)]), { binary: true }, () => resolve()));
      ws.resume(); // a stdin nobody reads any more must not hold up the close handshake
      ws.close(1000);
    },
  });

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary && !Buffer.isBuffer(data)) return;
    if (data.length === 0) return;
    const channel = data[0]!;
    const payload = data.subarray(1);
    if (channel === STDIN && stdin && !stdin.writableEnded) {
      // a slow reader pauses the WebSocket (and so kubectl) instead of buffering without bound
      if (payload.length > 0 && !stdin.write(payload)) {
        ws.pause();
        stdin.once('drain', () => ws.resume());
      }
    } else if (channel === RESIZE) {
      const size = parseTerminalSize(payload.toString());
      if (size) resized(size);
    } else if (channel === CLOSE && payload[0] === STDIN) {
      stdin?.end();
    }
  });
  ws.on('close', () => {
    if (stdin && !stdin.writableEnded) stdin.end();
    clientGone();
  });
  ws.on('error', () => undefined);
  return session;
}
