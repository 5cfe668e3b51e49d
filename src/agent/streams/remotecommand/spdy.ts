/**
 * remotecommand over SPDY/3.1 (`v4.channel.k8s.io`): the client opens one stream per channel, named by
 * the `streamtype` header (error, stdin, stdout, stderr, resize); each is answered at once (kubectl
 * waits for the reply before opening the next). The session starts when all expected streams exist.
 */
import type { SpdyConnection } from '../spdy/connection.js';
import type { SpdyStream } from '../spdy/stream.js';
import { endWritable, newSession, parseTerminalSize, type RemoteCommandOptions, type RemoteCommandSession } from './session.js';

export const SPDY_PROTOCOLS = ['v4.channel.k8s.io'] as const;

/** kubelet's streamCreationTimeout. */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export async function spdySession(conn: SpdyConnection, options: RemoteCommandOptions): Promise<RemoteCommandSession> {
  const expected = new Set(['error']);
  if (options.stdin) expected.add('stdin');
  if (options.stdout) expected.add('stdout');
  if (options.stderr) expected.add('stderr');
  if (options.tty) expected.add('resize');
  const streams = new Map<string, SpdyStream>();

  const created = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('timed out waiting for client to create streams')), STREAM_CREATION_TIMEOUT_MS);
    const onStream = (stream: SpdyStream) => {
      const type = stream.headers['streamtype'] ?? '';
      void stream.reply();
      if (!expected.has(type) || streams.has(type)) {
        stream.reset();
        return;
      }
      streams.set(type, stream);
      if (streams.size === expected.size) done();
    };
    const onClose = () => done(new Error('connection closed before all streams were created'));
    const done = (err?: Error) => {
      clearTimeout(timer);
      conn.off('stream', onStream);
      conn.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    conn.on('stream', onStream);
    conn.on('close', onClose);
  });
  try {
    await created;
  } catch (err) {
    conn.destroy();
    throw err;
  }

  const errorStream = streams.get('error')!;
  errorStream.resume();
  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  for (const s of [stdout, stderr]) s?.resume();
  const { session, resized, clientGone } = newSession({
    options,
    stdin: streams.get('stdin'),
    stdout,
    stderr,
    async sendStatus(status) {
      if (conn.closed) return;
      errorStream.write(status);
      await endWritable(errorStream);
      await conn.close();
    },
  });
  conn.on('close', clientGone);

  const resize = streams.get('resize');
  if (resize) {
    // a stream of JSON objects, one per size change
    let buf = '';
    resize.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('}')) >= 0) {
        const size = parseTerminalSize(buf.slice(0, nl + 1));
        buf = buf.slice(nl + 1);
        if (size) resized(size);
      }
    });
  }
  return session;
}
