// The page's copy of the cluster and its traffic, fed by the server's WebSocket pushes (never polled).
export const kinds = ['nodes', 'pods', 'services', 'endpointslices', 'ingresses', 'deployments', 'replicasets', 'events'];

export function createStore(onChange) {
  const s = {
    connected: false,
    objects: Object.fromEntries(kinds.map((k) => [k, new Map()])),
    traffic: new Map(), // `${spn}|${endpoint}` -> EndpointTraffic
    connections: new Map(), // id -> row
    dns: [],
    ingress: [],
    rules: { mode: '', scheduler: '', listeners: [] },
    clusterDomain: 'cluster.local',
    version: 0,
  };
  const key = (o) => (o.namespace ? `${o.namespace}/${o.name}` : o.name);
  const trafficKey = (t) => `${t.servicePortName}|${t.endpoint}`; // as src/ui/feed.ts
  const setTraffic = (list) => {
    s.traffic = new Map(list.map((t) => [trafficKey(t), t]));
  };
  // a delta: the endpoints whose counters moved, and the keys of those gone
  const mergeTraffic = ({ changed, removed }) => {
    for (const t of changed) s.traffic.set(trafficKey(t), t);
    for (const k of removed) s.traffic.delete(k);
  };
  const addRows = (rows) => {
    for (const r of rows) s.connections.set(r.id, r);
    if (s.connections.size > 300) {
      const ids = [...s.connections.keys()].sort((a, b) => a - b);
      for (const id of ids.slice(0, s.connections.size - 200)) s.connections.delete(id);
    }
  };
  const trim = (list, max) => (list.length > max ? list.slice(-max) : list);
  s.apply = (msg) => {
    switch (msg.type) {
      case 'snapshot':
        for (const k of kinds) s.objects[k] = new Map((msg.objects[k] ?? []).map((o) => [key(o), o]));
        setTraffic(msg.traffic ?? []);
        s.connections = new Map();
        addRows(msg.connections ?? []);
        s.dns = msg.dns ?? [];
        s.ingress = msg.ingress ?? [];
        s.rules = msg.rules ?? s.rules;
        s.clusterDomain = msg.clusterDomain ?? s.clusterDomain;
        break;
      case 'objects':
        for (const c of msg.changes) {
          if (c.obj) s.objects[c.kind].set(c.key, c.obj);
          else s.objects[c.kind].delete(c.key);
        }
        break;
      case 'tick': // what changed since the last push (src/ui/feed.ts), at most one a second
        if (msg.traffic) mergeTraffic(msg.traffic);
        if (msg.connections) addRows(msg.connections);
        if (msg.dns) s.dns = trim([...s.dns, ...msg.dns], 200);
        if (msg.ingress) s.ingress = trim([...s.ingress, ...msg.ingress], 200);
        if (msg.rules) s.rules = msg.rules;
        break;
      default:
        return;
    }
    s.version++;
    onChange();
  };
  return s;
}

/** Connects the page's WebSocket, reconnecting with backoff; the cookie carries the token. */
export function connect(store, onChange) {
  let delay = 500;
  const open = () => {
    const ws = new WebSocket(`ws://${location.host}/api/ws`);
    ws.onopen = () => {
      delay = 500;
      store.connected = true;
      onChange();
    };
    ws.onmessage = (e) => store.apply(JSON.parse(e.data));
    ws.onclose = () => {
      store.connected = false;
      onChange();
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10_000);
    };
  };
  open();
}

export async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.message ?? `HTTP ${r.status}`);
  return data;
}

export function bytes(n) {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function rate(n) {
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}
