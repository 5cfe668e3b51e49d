// What the page works out from the store: a Service's endpoints with their counters, its pods, its Deployment.

export function slicesOf(store, svc) {
  return [...store.objects.endpointslices.values()].filter((s) => s.namespace === svc.namespace && s.service === svc.name);
}

export function podByIP(store) {
  const m = new Map();
  for (const p of store.objects.pods.values()) if (p.ip) m.set(`${p.namespace}/${p.ip}`, p);
  return m;
}

const hp = (ip, port) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** One row per (service port, endpoint address) of the Service's slices, with the proxy's counters. */
export function endpointRows(store, svc) {
  const pods = podByIP(store);
  const rows = [];
  for (const slice of slicesOf(store, svc)) {
    for (const p of slice.ports.length ? slice.ports : [{ name: '', port: 0, protocol: 'TCP' }]) {
      const spn = p.name ? `${svc.namespace}/${svc.name}:${p.name}` : `${svc.namespace}/${svc.name}`;
      for (const e of slice.endpoints) {
        for (const ip of e.addresses) {
          const endpoint = hp(ip, p.port);
          const t = store.traffic.get(`${spn}|${endpoint}`);
          const pod = (e.pod && store.objects.pods.get(`${svc.namespace}/${e.pod}`)) || pods.get(`${svc.namespace}/${ip}`);
          rows.push({
            key: `${spn}|${endpoint}`, spn, portName: p.name, protocol: p.protocol, endpoint, ip, ready: e.ready, serving: e.serving, terminating: e.terminating,
            pod: pod?.name ?? e.pod ?? '', node: e.node ?? pod?.node ?? '', slice: slice.name,
            total: t?.total ?? 0, active: t?.active ?? 0, connRate: t?.connRate ?? 0, byteRate: t?.byteRate ?? 0, bytes: (t?.bytesIn ?? 0) + (t?.bytesOut ?? 0),
          });
        }
      }
    }
  }
  return rows.sort((a, b) => (a.spn + a.endpoint < b.spn + b.endpoint ? -1 : 1));
}

function matches(selector, labels) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

/** Deployments whose pods the Service selects. */
export function deploymentsOf(store, svc) {
  return [...store.objects.deployments.values()].filter((d) => d.namespace === svc.namespace && matches(svc.selector, d.selector) );
}

/** The Deployment that owns a pod (through its ReplicaSet). */
export function deploymentOfPod(store, pod) {
  if (pod.owner?.kind !== 'ReplicaSet') return undefined;
  const rs = store.objects.replicasets.get(`${pod.namespace}/${pod.owner.name}`);
  return rs?.deployment ? store.objects.deployments.get(`${pod.namespace}/${rs.deployment}`) : undefined;
}

export function eventsOf(store, kind, namespace, name) {
  return [...store.objects.events.values()]
    .filter((e) => e.involved?.kind === kind && e.involved?.name === name && (e.involved?.namespace ?? '') === (namespace ?? ''))
    .sort((a, b) => String(b.time).localeCompare(String(a.time)))
    .slice(0, 12);
}

export function servicePortText(svc) {
  return svc.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(', ');
}
