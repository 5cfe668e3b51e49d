/**
 * The kubelet's streaming endpoints (`/exec`, `/attach`, `/portForward`): negotiate the transport, then
 * hand the session to exec/attach/port-forward. Implements the kubelet server's `StreamHandlers`.
 */
import type { Duplex } from 'node:stream';
import { createWebSocketStream } from 'ws';
import type { StreamCall, StreamHandlers } from '../kubelet-server/types.js';
import { runAttach, runExec } from './exec.js';
import { servePortForward, PORT_FORWARD_SPDY_PROTOCOL, PORT_FORWARD_WEBSOCKET_PROTOCOL } from './portforward.js';
import { SpdyConnection } from './spdy/connection.js';
import { parseRemoteCommandOptions, type RemoteCommandSession } from './remotecommand/session.js';
import { SPDY_PROTOCOLS, spdySession } from './remotecommand/spdy.js';
import { WEBSOCKET_PROTOCOLS, webSocketSession } from './remotecommand/websocket.js';
import { acceptSpdy, acceptWebSocket, isSpdyUpgrade, isWebSocketUpgrade, pickProtocol, rejectUpgrade, rejectUpgradeText } from './upgrade.js';

export interface StreamHandlerOptions {
  log?: (msg: string) => void;
}

/** Rejects a call that is not an upgrade (kubectl always upgrades for these endpoints). */
function socketOf(call: StreamCall): Duplex | undefined {
  if (call.socket && !call.res) return call.socket;
  if (call.res) {
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Upgrade request required', reason: 'BadRequest', code: 400 });
    call.res.writeHead(400, { 'Content-Type': 'application/json' }).end(body);
  }
  return undefined;
}

async function openRemoteCommand(call: StreamCall, socket: Duplex): Promise<RemoteCommandSession | undefined> {
  const options = parseRemoteCommandOptions(call.route.query);
  if (!options.stdin && !options.stdout && !options.stderr) {
    rejectUpgrade(socket, 400, 'you must specify at least 1 of stdin, stdout, stderr');
    return undefined;
  }
  if (isWebSocketUpgrade(call.req)) {
    const protocol = pickProtocol(call.req.headers['sec-websocket-protocol'], WEBSOCKET_PROTOCOLS);
    if (!protocol) {
      rejectUpgrade(socket, 400, `unable to upgrade: unsupported subprotocol; supported: ${WEBSOCKET_PROTOCOLS.join(', ')}`);
      return undefined;
    }
    return webSocketSession(await acceptWebSocket(call.req, socket, call.head, protocol), options);
  }
  if (isSpdyUpgrade(call.req)) {
    const protocol = pickProtocol(call.req.headers['x-stream-protocol-version'], SPDY_PROTOCOLS);
    if (!protocol) {
      rejectUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports ${String(call.req.headers['x-stream-protocol-version'] ?? '[]')}, server supports ${SPDY_PROTOCOLS.join(', ')}`, 'Forbidden');
      return undefined;
    }
    return spdySession(acceptSpdy(socket, call.head, protocol), options);
  }
  rejectUpgrade(socket, 400, 'unable to upgrade: missing upgrade headers in request');
  return undefined;
}

export function createStreamHandlers(opts: StreamHandlerOptions = {}): StreamHandlers {
  const log = opts.log ?? (() => undefined);
  const fail = (what: string) => (err: unknown) => log(`${what}: ${(err as Error).message}`);

  const remoteCommand = (call: StreamCall, mode: 'exec' | 'attach') => {
    const socket = socketOf(call);
    if (!socket) return;
    const { namespace, pod, container: name } = call.route;
    const container = call.runtime.findContainer(namespace, pod, name || undefined);
    if (!container) {
      rejectUpgradeText(socket, 500, `container not found (${JSON.stringify(name)})`);
      return;
    }
    void (async () => {
      const session = await openRemoteCommand(call, socket);
      if (!session) return;
      if (mode === 'exec') await runExec(session, container, call.route.query.getAll('command'));
      else await runAttach(session, container);
    })().catch(fail(`${mode} ${namespace}/${pod}`));
  };

  return {
    exec: (call) => remoteCommand(call, 'exec'),
    attach: (call) => remoteCommand(call, 'attach'),
    portForward(call) {
      const socket = socketOf(call);
      if (!socket) return;
      const { namespace, pod } = call.route;
      const target = { namespace, pod, podIP: () => call.runtime.podIP(namespace, pod), sandboxID: call.runtime.findContainer(namespace, pod)?.containerID ?? pod };
      if (isWebSocketUpgrade(call.req)) {
        if (!pickProtocol(call.req.headers['sec-websocket-protocol'], [PORT_FORWARD_WEBSOCKET_PROTOCOL])) {
          rejectUpgrade(socket, 400, `unable to upgrade: unsupported subprotocol; supported: ${PORT_FORWARD_WEBSOCKET_PROTOCOL}`);
          return;
        }
        void acceptWebSocket(call.req, socket, call.head, PORT_FORWARD_WEBSOCKET_PROTOCOL)
          .then((ws) => {
            // the WebSocket payloads are one SPDY byte stream; a bare TCP FIN from kubectl ends it too
            const duplex = createWebSocketStream(ws);
            duplex.on('error', () => undefined);
            ws.on('close', () => duplex.destroy());
            servePortForward(new SpdyConnection(duplex, { server: true }), target, log);
          })
          .catch(fail(`portforward ${namespace}/${pod}`));
        return;
      }
      if (isSpdyUpgrade(call.req) && pickProtocol(call.req.headers['x-stream-protocol-version'], [PORT_FORWARD_SPDY_PROTOCOL])) {
        servePortForward(acceptSpdy(socket, call.head, PORT_FORWARD_SPDY_PROTOCOL), target, log);
        return;
      }
      rejectUpgrade(socket, 400, 'unable to upgrade: missing upgrade headers in request');
    },
  };
}
