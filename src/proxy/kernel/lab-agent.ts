/**
 * The program a kernel-datapath lab runs inside each of its network namespaces (`ip netns exec NS node -e`),
 * since a Node process cannot enter another netns itself. Plain CommonJS so it needs no loader.
 * SKKP_ROLE=backend: TCP on :PORT greets `ID CLIENTIP\n` then echoes; UDP on :PORT answers `ID:CLIENTIP:payload`.
 * SKKP_ROLE=client: JSON commands on stdin, one JSON answer per line on stdout.
 */
export const labAgentSource = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const readline = require('node:readline');
const role = process.env.SKKP_ROLE;
if (role === 'backend') {
  const id = process.env.SKKP_ID, port = Number(process.env.SKKP_PORT);
  const srv = net.createServer((s) => { s.on('error', () => {}); s.write(id + ' ' + s.remoteAddress + '\n'); s.pipe(s); });
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m, r) => udp.send(id + ':' + r.address + ':' + m.toString(), r.port, r.address));
  let n = 0; const ready = () => { if (++n === 2) process.stdout.write('ready\n'); };
  srv.listen(port, '0.0.0.0', ready);
  udp.bind(port, '0.0.0.0', ready);
  process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
} else {
  const open = new Map();
  const reply = (id, o) => process.stdout.write(JSON.stringify({ id, ...o }) + '\n');
  const greet = (c, timeoutMs) => new Promise((resolve) => {
    const start = Date.now();
    const s = net.connect({ host: c.host, port: c.port, localAddress: c.local });
    let buf = '', done = false;
    const end = (o) => { if (done) return; done = true; clearTimeout(t); resolve({ ...o, ms: Date.now() - start, socket: s }); };
    const t = setTimeout(() => end({ error: 'TIMEOUT' }), timeoutMs);
    s.on('data', (d) => { buf += d; const nl = buf.indexOf('\n'); if (nl >= 0) end({ line: buf.slice(0, nl), rest: buf.slice(nl + 1) }); });
    s.on('error', (e) => end({ error: e.code || e.message }));
    s.on('close', () => end({ error: 'CLOSED' }));
  });
  const handlers = {
    async whoami(c) {
      const lines = [];
      for (let i = 0; i < (c.n || 1); i++) {
        const r = await greet(c, c.timeoutMs || 3000);
        r.socket.destroy();
        if (r.error) return { error: r.error, ms: r.ms, lines };
        lines.push(r.line);
      }
      return { lines };
    },
    async connect(c) { const r = await greet(c, c.timeoutMs || 3000); r.socket.destroy(); return { error: r.error, line: r.line, ms: r.ms }; },
    async open(c) { const r = await greet(c, c.timeoutMs || 3000); if (r.error) return { error: r.error }; open.set(c.name, r.socket); return { line: r.line }; },
    async echo(c) {
      const s = open.get(c.name);
      return await new Promise((resolve) => {
        let got = ''; const t = setTimeout(() => resolve({ error: 'TIMEOUT', text: got }), 3000);
        s.on('data', (d) => { got += d; if (got.length >= c.text.length) { clearTimeout(t); resolve({ text: got }); } });
        s.once('error', (e) => { clearTimeout(t); resolve({ error: e.code }); });
        s.write(c.text);
      });
    },
    async close(c) { open.get(c.name)?.destroy(); open.delete(c.name); return {}; },
    async udp(c) {
      const s = dgram.createSocket('udp4');
      return await new Promise((resolve) => {
        const t = setTimeout(() => { s.close(); resolve({ error: 'TIMEOUT' }); }, c.timeoutMs || 3000);
        s.on('message', (m, r) => { clearTimeout(t); s.close(); resolve({ reply: m.toString(), from: r.address + ':' + r.port }); });
        s.on('error', (e) => { clearTimeout(t); resolve({ error: e.code }); });
        const send = () => s.send(c.text, c.port, c.host);
        if (c.local) s.bind(0, c.local, send); else send();
      });
    },
  };
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', async (l) => {
    const c = JSON.parse(l);
    try { reply(c.id, await handlers[c.op](c)); } catch (e) { reply(c.id, { error: String(e && e.message || e) }); }
  });
  rl.on('close', () => process.exit(0));
  process.stdout.write('ready\n');
}
`;
