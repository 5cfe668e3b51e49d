// The web view: the map, the selected object's panel, the last connections and the DNS queries.
import { render } from 'preact';
import { useEffect, useMemo, useReducer, useState } from 'preact/hooks';
import { html } from './html.js';
import { buildGraph, MapView } from './graph.js';
import { deploymentOfPod, deploymentsOf, endpointRows, eventsOf, servicePortText } from './derive.js';
import { bytes, connect, createStore, post, rate } from './store.js';

let rerender = () => {};
let scheduled = false;
const store = createStore(() => {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    rerender();
  });
});

const ago = (t) => {
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  return s < 60 ? `${s}s` : `${Math.round(s / 60)}m`;
};
const clock = (t) => new Date(t).toLocaleTimeString([], { hour12: false });

function Events({ items }) {
  if (!items.length) return html`<p class="muted">No events.</p>`;
  return html`<ul class="events">${items.map((e) => html`<li key=${e.name} class=${e.type === 'Warning' ? 'warn' : ''}><b>${e.reason}</b> ${e.message}${e.count > 1 ? html` <span class="muted">×${e.count}</span>` : ''}</li>`)}</ul>`;
}

function Actions({ svc }) {
  const [count, setCount] = useState(100);
  const [from, setFrom] = useState('');
  const [result, setResult] = useState('');
  const [busy, setBusy] = useState(false);
  const pods = [...store.objects.pods.values()].filter((p) => p.ip && p.phase === 'Running');
  const send = async () => {
    setBusy(true);
    setResult('');
    try {
      const [ns, name] = from ? from.split('/') : [];
      const r = await post('/api/actions/send', { namespace: svc.namespace, name: svc.name, count: Number(count), fromPod: name, fromPodNamespace: ns });
      setResult(`${r.ok}/${r.sent} answered in ${r.ms} ms · ${Object.entries(r.byStatus).map(([k, v]) => `${k}×${v}`).join(' ')}`);
    } catch (err) {
      setResult(String(err.message));
    } finally {
      setBusy(false);
    }
  };
  if (svc.clusterIP === 'None' || svc.type === 'ExternalName') return null;
  return html`<div class="row">
    <label>Send <input type="number" min="1" max="10000" value=${count} data-testid="send-count" onInput=${(e) => setCount(e.target.value)}/> requests</label>
    <label>from <select value=${from} data-testid="send-from" onChange=${(e) => setFrom(e.target.value)}>
      <option value="">this machine</option>${pods.map((p) => html`<option value=${`${p.namespace}/${p.name}`}>pod ${p.name}</option>`)}</select></label>
    <button disabled=${busy} data-testid="send-button" onClick=${send}>${busy ? 'Sending…' : 'Send'}</button>
    ${result && html`<span class="result" data-testid="send-result">${result}</span>`}</div>`;
}

function Scale({ dep }) {
  const [n, setN] = useState(dep.replicas);
  const [err, setErr] = useState('');
  useEffect(() => setN(dep.replicas), [dep.replicas]);
  const apply = async () => {
    setErr('');
    try {
      await post('/api/actions/scale', { namespace: dep.namespace, name: dep.name, replicas: Number(n) });
    } catch (e) {
      setErr(e.message);
    }
  };
  return html`<div class="row"><span>Deployment <b>${dep.name}</b> ${dep.ready}/${dep.replicas} ready</span>
    <input type="number" min="0" max="100" value=${n} data-testid="scale-input" onInput=${(e) => setN(e.target.value)}/>
    <button data-testid="scale-button" onClick=${apply}>Scale</button>${err && html`<span class="error">${err}</span>`}</div>`;
}

function ServicePanel({ svc, select }) {
  const [details, setDetails] = useState(undefined);
  const rows = endpointRows(store, svc);
  const sliceKey = rows.map((r) => r.endpoint + r.ready).join();
  // kernel datapaths (netns mode): the rules text carries packet counters, so it is read again every 2 s
  const kernel = store.rules.mode === 'iptables' || store.rules.mode === 'nftables';
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!kernel) return undefined;
    const t = setInterval(() => setTick((x) => x + 1), 2000);
    return () => clearInterval(t);
  }, [kernel]);
  useEffect(() => {
    let live = true;
    fetch(`/api/services/${encodeURIComponent(svc.namespace)}/${encodeURIComponent(svc.name)}`).then((r) => r.json()).then((d) => live && setDetails(d), () => {});
    return () => (live = false);
  }, [svc.namespace, svc.name, sliceKey, svc.clusterIP, JSON.stringify(store.rules.listeners.length), tick]);
  const total = rows.reduce((a, r) => a + r.total, 0);
  const deps = deploymentsOf(store, svc);
  return html`<section class="panel" data-testid="service-panel">
    <h2><span class="chip svc">Service</span> ${svc.namespace}/${svc.name}</h2>
    <dl class="facts">
      <dt>Type</dt><dd>${svc.type}${svc.clusterIP === 'None' ? ' (headless)' : ''}</dd>
      ${svc.type === 'ExternalName' ? html`<dt>ExternalName</dt><dd>${svc.externalName}</dd>` : html`<dt>ClusterIP</dt><dd>${svc.clusterIP}</dd>`}
      <dt>Ports</dt><dd>${servicePortText(svc) || '—'}</dd>
      ${svc.externalIPs.length ? html`<dt>External IPs</dt><dd>${svc.externalIPs.join(', ')}</dd>` : ''}
      ${svc.lbIPs.length ? html`<dt>LoadBalancer</dt><dd>${svc.lbIPs.join(', ')}</dd>` : ''}
      <dt>Affinity</dt><dd>${svc.sessionAffinity}${svc.externalTrafficPolicy ? ` · external ${svc.externalTrafficPolicy}` : ''}${svc.internalTrafficPolicy ? ` · internal ${svc.internalTrafficPolicy}` : ''}</dd>
      <dt>DNS</dt><dd>${svc.name}.${svc.namespace}.svc.${store.clusterDomain}</dd>
    </dl>
    ${deps.map((d) => html`<${Scale} key=${d.name} dep=${d}/>`)}
    <${Actions} svc=${svc}/>
    <h3>Endpoints <span class="muted">${rows.filter((r) => r.ready).length} ready · ${total} connections</span></h3>
    <table class="grid"><thead><tr><th>port</th><th>endpoint</th><th>pod</th><th>node</th><th class="num">conns</th><th class="num">share</th><th class="num">/s</th><th class="num">bytes</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr key=${r.key} data-testid="endpoint-row" data-pod=${r.pod} data-endpoint=${r.endpoint} data-total=${r.total} class=${r.ready ? '' : 'dim'}>
      <td>${r.portName || '—'}</td><td class="mono">${r.endpoint}</td><td class="podcell" title=${r.pod}><a onClick=${() => select(`pod:${svc.namespace}/${r.pod}`)}>${r.pod}</a>${r.ready ? '' : r.terminating ? ' (terminating)' : ' (not ready)'}</td><td>${r.node}</td>
      <td class="num">${r.total}</td><td class="num"><span class="bar" style=${`width:${total ? Math.round((r.total / total) * 60) : 0}px`}></span>${total ? Math.round((r.total / total) * 100) : 0}%</td>
      <td class="num">${rate(r.connRate)}</td><td class="num">${bytes(r.bytes)}</td></tr>`)}</tbody></table>
    <h3>Proxy rules <span class="muted">${details?.rules?.mode ?? ''} · scheduler ${details?.rules?.scheduler ?? ''}</span></h3>
    ${details?.rules?.listeners?.length ? html`<ul class="mono small">${details.rules.listeners.map((l) => html`<li>${l.protocol}/${l.address}:${l.port} <span class="muted">${l.role} → ${l.servicePortName}</span></li>`)}</ul>` : html`<p class="muted">${svc.clusterIP === 'None' ? 'Headless: the proxy programs nothing; cluster DNS answers with the pod IPs below.' : svc.type === 'ExternalName' ? 'ExternalName: no proxying; cluster DNS answers with a CNAME.' : details?.rules?.text ? (details.rules.mode === 'nftables' ? "Kernel datapath: the Service's nftables chains below (kube-proxy's nft rules carry no counters; the endpoint counts above come from conntrack)." : 'Kernel datapath: the chains below, with the kernel\'s [packets:bytes] counters.') : 'No listeners.'}</p>`}
    ${details?.rules?.text && html`<pre class="rules" data-testid="rules-text">${details.rules.text}</pre>`}
    <h3>DNS records</h3>
    ${details?.dns?.length ? html`<table class="grid mono small dnsrec"><tbody>${details.dns.map((d, i) => html`<tr key=${i}><td>${d.name}</td><td>${d.type}</td><td>${d.data}</td></tr>`)}</tbody></table>` : html`<p class="muted">None.</p>`}
    <h3>Events</h3><${Events} items=${eventsOf(store, 'Service', svc.namespace, svc.name)}/>
  </section>`;
}

function PodPanel({ pod }) {
  const [err, setErr] = useState('');
  const dep = deploymentOfPod(store, pod);
  const del = async () => {
    setErr('');
    try {
      await post('/api/actions/delete-pod', { namespace: pod.namespace, name: pod.name });
    } catch (e) {
      setErr(e.message);
    }
  };
  return html`<section class="panel" data-testid="pod-panel">
    <h2><span class="chip pod">Pod</span> ${pod.namespace}/${pod.name}</h2>
    <dl class="facts"><dt>IP</dt><dd>${pod.ip || '—'}</dd><dt>Node</dt><dd>${pod.node || '—'}</dd><dt>Phase</dt><dd>${pod.deleting ? 'Terminating' : pod.phase}${pod.reason ? ` (${pod.reason})` : ''}</dd>
      <dt>Ready</dt><dd>${pod.ready ? 'yes' : 'no'}</dd><dt>Restarts</dt><dd>${pod.restarts}</dd>${dep ? html`<dt>Deployment</dt><dd>${dep.name}</dd>` : ''}
      <dt>Labels</dt><dd class="mono small">${Object.entries(pod.labels).map(([k, v]) => `${k}=${v}`).join(', ')}</dd></dl>
    <div class="row"><button class="danger" data-testid="delete-pod" onClick=${del} disabled=${pod.deleting}>Delete pod</button>
      <span class="muted">${dep ? 'its ReplicaSet will replace it' : 'nothing will replace it'}</span>${err && html`<span class="error">${err}</span>`}</div>
    <h3>Events</h3><${Events} items=${eventsOf(store, 'Pod', pod.namespace, pod.name)}/>
  </section>`;
}

function Overview({ select }) {
  const svcs = [...store.objects.services.values()];
  return html`<section class="panel"><h2>Cluster</h2>
    <p class="muted">Click a Service or a pod on the map. Every change arrives over a watch; traffic is what the proxy carried.</p>
    <dl class="facts"><dt>Nodes</dt><dd>${store.objects.nodes.size}</dd><dt>Pods</dt><dd>${store.objects.pods.size}</dd><dt>Services</dt><dd>${svcs.length}</dd>
      <dt>Proxy</dt><dd>${store.rules.mode} · ${store.rules.scheduler} · ${store.rules.listeners.length} listeners</dd></dl>
    <h3>Services</h3><ul class="links">${svcs.map((s) => html`<li key=${s.namespace + s.name}><a onClick=${() => select(`svc:${s.namespace}/${s.name}`)}>${s.namespace}/${s.name}</a> <span class="muted">${s.type} ${s.clusterIP}</span></li>`)}</ul></section>`;
}

function podName(store, ipPort) {
  const ip = ipPort.replace(/^\[?([^\]]+?)\]?:\d+$/, '$1');
  for (const p of store.objects.pods.values()) if (p.ip === ip) return p.name;
  return '';
}

function Connections() {
  const rows = [...store.connections.values()].sort((a, b) => b.id - a.id).slice(0, 60);
  return html`<section class="card"><h3>Last connections <span class="muted">client → dialled address → pod, and why the scheduler chose it</span></h3>
    <div class="scroll"><table class="grid small" data-testid="connections"><thead><tr><th>time</th><th>client</th><th>dialled</th><th>service port</th><th>pod (endpoint)</th><th>reason</th><th class="num">bytes</th><th></th></tr></thead>
    <tbody>${rows.map((r) => {
      const client = podName(store, r.client);
      const pod = podName(store, r.endpoint);
      return html`<tr key=${r.id} data-testid="conn-row" data-pod=${pod}><td>${clock(r.time)}</td><td class="mono">${r.client}${client ? html` <span class="muted">${client}</span>` : ''}</td>
      <td class="mono">${r.dialled} <span class="muted">${r.role}</span></td><td class="nowrap">${r.servicePortName}</td><td><b>${pod || (r.servicePortName.startsWith('kube-system/kube-dns') ? 'cluster DNS' : '—')}</b> <span class="mono muted">${r.endpoint}</span></td>
      <td><span class="chip reason">${r.reason}</span></td><td class="num">${r.open ? '' : bytes(r.bytesIn + r.bytesOut)}</td><td>${r.open ? html`<span class="live">open</span>` : ''}</td></tr>`;
    })}</tbody></table>${rows.length ? '' : html`<p class="muted">No connections yet: send some requests.</p>`}</div></section>`;
}

function DnsPanel() {
  const rows = [...store.dns].reverse().slice(0, 60);
  return html`<section class="card"><h3>DNS queries <span class="muted">as cluster DNS answered them</span></h3>
    <div class="scroll"><table class="grid small" data-testid="dns"><thead><tr><th>time</th><th>client</th><th>name</th><th>type</th><th>rcode</th><th>answer</th></tr></thead>
    <tbody>${rows.map((d, i) => html`<tr key=${d.time + d.name + i} data-testid="dns-row" data-name=${d.name} class=${d.rcode === 'NOERROR' ? '' : 'dim'}><td>${clock(d.time)}</td><td class="mono" title=${d.proxy ? `reached cluster DNS through the proxy (${d.proxy})` : ''}>${d.client}${podName(store, d.client) ? html` <span class="muted">${podName(store, d.client)}</span>` : ''}</td><td class="mono">${d.name}</td><td>${d.type}</td>
      <td><span class=${'chip ' + (d.rcode === 'NOERROR' ? 'ok' : 'bad')}>${d.rcode}</span></td><td class="mono">${d.answers.join(', ') || '—'}</td></tr>`)}</tbody></table>
    ${rows.length ? '' : html`<p class="muted">No queries yet.</p>`}</div></section>`;
}

function IngressLog() {
  if (!store.ingress.length) return null;
  const rows = [...store.ingress].reverse().slice(0, 30);
  return html`<section class="card"><h3>Ingress requests</h3><div class="scroll"><table class="grid small"><thead><tr><th>time</th><th>client</th><th>host/path</th><th>backend</th><th>endpoint</th><th>status</th></tr></thead>
    <tbody>${rows.map((r, i) => html`<tr key=${i}><td>${clock(r.time)}</td><td class="mono">${r.client}</td><td class="mono">${r.host}${r.path}</td><td>${r.backend}</td><td class="mono">${r.endpoint}</td><td>${r.status}</td></tr>`)}</tbody></table></div></section>`;
}

function App() {
  const [, bump] = useReducer((x) => x + 1, 0);
  const [selected, setSelected] = useState('');
  rerender = bump;
  const graph = useMemo(() => buildGraph(store), [store.version]);
  const [kind, key] = [selected.slice(0, selected.indexOf(':')), selected.slice(selected.indexOf(':') + 1)];
  const svc = kind === 'svc' ? store.objects.services.get(key) : undefined;
  const pod = kind === 'pod' ? store.objects.pods.get(key) : undefined;
  useEffect(() => {
    const t = setInterval(bump, 5000); // only the "ago" times; the data itself is pushed
    return () => clearInterval(t);
  }, []);
  return html`<header><span class="logo"><svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2 L12 16 L4 16 Z" fill="#6fb3ff"/><path d="M13 5 L13 16 L20 16 Z" fill="#cfe6ff"/><path d="M2 18 H22 L19 22 H5 Z" fill="#fff"/></svg> skiff</span><span class="sub">Services, endpoints and where each connection went</span>
    <span class=${'status ' + (store.connected ? 'ok' : 'bad')} data-testid="status">${store.connected ? '● live' : '○ reconnecting'}</span></header>
    <main>
      <div class="mapwrap card"><${MapView} graph=${graph} selected=${selected} select=${setSelected}/></div>
      <aside>${svc ? html`<${ServicePanel} key=${selected} svc=${svc} select=${setSelected}/>` : pod ? html`<${PodPanel} key=${selected} pod=${pod}/>` : html`<${Overview} select=${setSelected}/>`}</aside>
    </main>
    <div class="bottom"><${Connections}/><${DnsPanel}/></div><${IngressLog}/>
    <footer class="muted">skiff web view · proxy ${store.rules.mode} (${store.rules.scheduler})</footer>`;
}

render(html`<${App}/>`, document.getElementById('app'));
connect(store, () => rerender());
