// The map: Ingress rules → Services → EndpointSlices → pods (inside their nodes), ExternalName targets;
// laid out by dagre (layered, left to right), drawn as SVG with the traffic on the edges.
import { Graph, layout } from '@dagrejs/dagre';
import { html } from './html.js';
import { endpointRows, slicesOf } from './derive.js';
import { rate, bytes } from './store.js';

const size = { ing: [190, 46], svc: [230, 62], eps: [150, 40], pod: [250, 50], ext: [190, 36] };

function width(n) {
  return 1.4 + Math.min(6, Math.log2(1 + n));
}

export function buildGraph(store) {
  const g = new Graph({ compound: true });
  g.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 70, edgesep: 10, marginx: 16, marginy: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  const add = (id, kind, data) => g.setNode(id, { width: size[kind][0], height: size[kind][1], kind, data });
  const nodes = store.objects.nodes;
  for (const n of nodes.values()) g.setNode(`node:${n.name}`, { kind: 'node', data: n, paddingTop: 26 });
  for (const p of store.objects.pods.values()) {
    add(`pod:${p.namespace}/${p.name}`, 'pod', p);
    if (p.node && nodes.has(p.node)) g.setParent(`pod:${p.namespace}/${p.name}`, `node:${p.node}`);
  }
  const svcs = [...store.objects.services.values()].filter((s) => !(s.namespace === 'default' && s.name === 'kubernetes'));
  for (const s of svcs) {
    const id = `svc:${s.namespace}/${s.name}`;
    add(id, 'svc', s);
    if (s.type === 'ExternalName') {
      add(`ext:${s.externalName}`, 'ext', { name: s.externalName });
      g.setEdge(id, `ext:${s.externalName}`, { kind: 'ext' });
      continue;
    }
    const rows = endpointRows(store, s);
    for (const slice of slicesOf(store, s)) {
      const sid = `eps:${s.namespace}/${slice.name}`;
      add(sid, 'eps', { ...slice, ready: slice.endpoints.filter((e) => e.ready).length });
      const mine = rows.filter((r) => r.slice === slice.name);
      const connRate = mine.reduce((a, r) => a + r.connRate, 0);
      const byteRate = mine.reduce((a, r) => a + r.byteRate, 0);
      g.setEdge(id, sid, { kind: 'svc', connRate, byteRate, total: mine.reduce((a, r) => a + r.total, 0), width: 120, height: 14, labelpos: 'c' });
      const byPod = new Map();
      for (const r of mine) {
        if (!r.pod) continue;
        const cur = byPod.get(r.pod) ?? { connRate: 0, total: 0, byteRate: 0, ready: r.ready };
        cur.connRate += r.connRate;
        cur.total += r.total;
        cur.byteRate += r.byteRate;
        byPod.set(r.pod, cur);
      }
      for (const [pod, t] of byPod) {
        const pid = `pod:${s.namespace}/${pod}`;
        if (g.hasNode(pid)) g.setEdge(sid, pid, { kind: 'ep', ...t, width: 70, height: 14, labelpos: 'c' });
      }
    }
  }
  for (const ing of store.objects.ingresses.values()) {
    const rules = ing.rules.length ? ing.rules : ing.defaultBackend ? [{ host: '*', path: '(default)', service: ing.defaultBackend.service, port: ing.defaultBackend.port }] : [];
    rules.forEach((r, i) => {
      const id = `ing:${ing.namespace}/${ing.name}/${i}`;
      add(id, 'ing', { ...r, ingress: ing.name, namespace: ing.namespace });
      const target = `svc:${ing.namespace}/${r.service}`;
      if (g.hasNode(target)) {
        const reqs = store.ingress.filter((e) => e.backend === `${ing.namespace}/${r.service}:${r.port}`).length;
        g.setEdge(id, target, { kind: 'ing', total: reqs, width: 50, height: 14, labelpos: 'c' });
      }
    });
  }
  // nodes with no pods stay as small boxes
  for (const n of nodes.values()) if (!g.children(`node:${n.name}`).length) g.setNode(`node:${n.name}`, { kind: 'node', data: n, width: 200, height: 40 });
  layout(g);
  return g;
}

function path(points) {
  if (!points?.length) return '';
  const [first, ...rest] = points;
  if (rest.length === 0) return `M${first.x},${first.y}`;
  let d = `M${first.x},${first.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i];
    const q = rest[i + 1];
    d += ` Q${p.x},${p.y} ${(p.x + q.x) / 2},${(p.y + q.y) / 2}`;
  }
  const last = rest[rest.length - 1];
  return d + ` L${last.x},${last.y}`;
}

const phaseClass = (p) => (p.deleting ? 'terminating' : p.ready ? 'ready' : p.phase === 'Running' ? 'notready' : p.phase === 'Failed' ? 'failed' : 'pending');

function NodeBox({ id, n, selected, select }) {
  const x = n.x - n.width / 2;
  const y = n.y - n.height / 2;
  const d = n.data;
  const sel = selected === id ? ' selected' : '';
  switch (n.kind) {
    case 'node':
      // the label sits in a band above the pods (the layout leaves the margin for it)
      return html`<g class="k-node"><rect x=${x} y=${y - 24} width=${n.width} height=${n.height + 24} rx="10"/>
        <text x=${x + 10} y=${y - 8} class="title">node ${d.name}</text>
        <text x=${x + n.width - 10} y=${y - 8} class=${'meta end ' + (d.ready ? 'ok' : 'bad')}>${d.ready ? 'Ready' : 'NotReady'} · ${d.addresses?.[0] ?? ''}</text></g>`;
    case 'svc':
      return html`<g class=${'k-svc' + sel} data-testid="svc-node" data-name=${d.name} data-namespace=${d.namespace} onClick=${() => select(id)}>
        <rect x=${x} y=${y} width=${n.width} height=${n.height} rx="8"/>
        <text x=${x + 10} y=${y + 18} class="title">${d.name}</text>
        <text x=${x + n.width - 10} y=${y + 18} class="badge end">${d.clusterIP === 'None' ? 'headless' : d.type}</text>
        <text x=${x + 10} y=${y + 36} class="meta">${d.type === 'ExternalName' ? '→ ' + d.externalName : d.clusterIP === 'None' ? `${d.name}.${d.namespace}.svc` : d.clusterIP}${d.lbIPs?.length ? ' · LB ' + d.lbIPs.join(',') : ''}</text>
        <text x=${x + 10} y=${y + 52} class="meta">${d.ports.map((p) => `${p.port}${p.nodePort ? ':' + p.nodePort : ''}/${p.protocol}`).join(' ')}${d.externalIPs?.length ? ' · ext ' + d.externalIPs.join(',') : ''} · ${d.namespace}</text></g>`;
    case 'eps':
      return html`<g class="k-eps"><rect x=${x} y=${y} width=${n.width} height=${n.height} rx="6"/>
        <text x=${x + 8} y=${y + 16} class="title small">${d.name.length > 22 ? d.name.slice(0, 21) + '…' : d.name}</text>
        <text x=${x + 8} y=${y + 31} class="meta">EndpointSlice · ${d.ready}/${d.endpoints.length} ready</text></g>`;
    case 'pod':
      return html`<g class=${'k-pod ' + phaseClass(d) + sel} data-testid="pod-node" data-name=${d.name} onClick=${() => select(id)}>
        <rect x=${x} y=${y} width=${n.width} height=${n.height} rx="6"/><circle cx=${x + 12} cy=${y + 15} r="4.5" class="dot"/>
        <text x=${x + 22} y=${y + 19} class="title small">${d.name.length > 34 ? d.name.slice(0, 33) + '…' : d.name}</text>
        <text x=${x + 10} y=${y + 38} class="meta">${d.ip || '—'} · ${d.deleting ? 'Terminating' : d.reason || d.phase}${d.restarts ? ` · ↻${d.restarts}` : ''}</text></g>`;
    case 'ing':
      return html`<g class="k-ing"><rect x=${x} y=${y} width=${n.width} height=${n.height} rx="6"/>
        <text x=${x + 8} y=${y + 17} class="title small">${d.host}${d.path}</text>
        <text x=${x + 8} y=${y + 34} class="meta">Ingress ${d.ingress} → ${d.service}:${d.port}</text></g>`;
    case 'ext':
      return html`<g class="k-ext"><rect x=${x} y=${y} width=${n.width} height=${n.height} rx="18"/>
        <text x=${x + n.width / 2} y=${y + 22} class="title small mid">${d.name}</text></g>`;
    default:
      return null;
  }
}

function edgeLabel(e) {
  if (e.kind === 'svc' && e.connRate > 0) return `${rate(e.connRate)} conn/s · ${bytes(e.byteRate)}/s`;
  if (e.kind === 'svc' && e.total) return `${e.total} conns`;
  if (e.kind === 'ep' && e.total) return e.connRate > 0 ? `${e.total} · ${rate(e.connRate)}/s` : `${e.total}`;
  if (e.kind === 'ing' && e.total) return `${e.total} req`;
  return '';
}

export function MapView({ graph, selected, select }) {
  const gr = graph.graph();
  const w = Math.max(gr.width ?? 0, 200);
  const h = Math.max(gr.height ?? 0, 120);
  const ids = graph.nodes();
  const clusters = ids.filter((id) => graph.node(id).kind === 'node');
  const others = ids.filter((id) => graph.node(id).kind !== 'node');
  return html`<svg class="map" viewBox=${`0 0 ${w} ${h}`} style=${`width:100%;max-width:${w}px;height:auto`} role="img" aria-label="Service map">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>
    ${clusters.map((id) => html`<${NodeBox} key=${id} id=${id} n=${graph.node(id)} selected=${selected} select=${select}/>`)}
    ${graph.edges().map((ref) => {
      const e = graph.edge(ref);
      const active = (e.connRate ?? 0) > 0;
      const label = edgeLabel(e);
      return html`<g key=${ref.v + '>' + ref.w} class=${'edge e-' + e.kind + (active ? ' active' : '')}>
        <path d=${path(e.points)} stroke-width=${width(e.connRate ?? 0)} marker-end="url(#arrow)"/>
        ${label && html`<text x=${e.x ?? e.points[Math.floor(e.points.length / 2)]?.x ?? 0} y=${(e.y ?? e.points[Math.floor(e.points.length / 2)]?.y ?? 0) + 4} class="elabel">${label}</text>`}</g>`;
    })}
    ${others.map((id) => html`<${NodeBox} key=${id} id=${id} n=${graph.node(id)} selected=${selected} select=${select}/>`)}
  </svg>`;
}
