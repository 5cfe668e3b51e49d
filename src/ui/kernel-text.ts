/**
 * Pure parsing for the netns-mode traffic source (netns-traffic.ts): `conntrack -L -o extended,id`
 * lines, and the part of `iptables-save -c` / `nft list table ip kube-proxy` that belongs to one Service.
 */

export interface CtTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  packets: number;
  bytes: number;
}

export interface CtEntry {
  /** conntrack's own id (`-o id`); unique while the entry lives. */
  id: string;
  protocol: 'TCP' | 'UDP';
  /** TCP/SCTP state (ESTABLISHED, TIME_WAIT, ...); undefined for UDP. */
  state?: string;
  orig: CtTuple;
  reply: CtTuple;
}

const protocols: Record<string, CtEntry['protocol']> = { tcp: 'TCP', udp: 'UDP' };

/**
 * One entry per line, e.g. `ipv4 2 tcp 6 117 TIME_WAIT src=A dst=B sport=1 dport=80 packets=6 bytes=400
 * src=C dst=A sport=80 dport=1 packets=4 bytes=500 [ASSURED] mark=0 use=1 id=123`. Lines of other
 * protocols (icmp) or without an id are left out.
 */
export function parseConntrack(text: string): CtEntry[] {
  const out: CtEntry[] = [];
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    const protoIndex = tokens.findIndex((t) => protocols[t] !== undefined);
    if (protoIndex < 0) continue;
    const tuples: Array<Record<string, string>> = [];
    let id = '';
    let state: string | undefined;
    for (const [i, t] of tokens.entries()) {
      const eq = t.indexOf('=');
      if (eq < 0) {
        if (i > protoIndex && tuples.length === 0 && /^[A-Z_]+$/.test(t)) state = t;
        continue;
      }
      const k = t.slice(0, eq);
      const v = t.slice(eq + 1);
      if (k === 'id') id = v;
      else if (k === 'src') tuples.push({ src: v });
      else if (tuples.length > 0 && tuples.length <= 2 && !(k in tuples[tuples.length - 1]!)) tuples[tuples.length - 1]![k] = v;
    }
    if (!id || tuples.length < 2) continue;
    const tuple = (r: Record<string, string>): CtTuple => ({ src: r.src ?? '', dst: r.dst ?? '', sport: Number(r.sport ?? 0), dport: Number(r.dport ?? 0), packets: Number(r.packets ?? 0), bytes: Number(r.bytes ?? 0) });
    out.push({ id, protocol: protocols[tokens[protoIndex]!]!, state, orig: tuple(tuples[0]!), reply: tuple(tuples[1]!) });
  }
  return out;
}

/** A TCP/SCTP entry in one of these states carries no more data. */
export function isClosing(e: CtEntry): boolean {
  return e.state !== undefined && /^(TIME_WAIT|CLOSE|CLOSE_WAIT|LAST_ACK|FIN_WAIT|SHUTDOWN_SENT|SHUTDOWN_RECD|SHUTDOWN_ACK_SENT)$/.test(e.state);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const serviceChain = /^KUBE-(SVC|SEP|EXT|FW|SVL|XLB)-[A-Z0-9]+$/;

/**
 * The `iptables-save -c` lines of one Service: every rule whose comment names `namespace/name` (a port of
 * it), the KUBE-SVC/SEP/EXT/FW/SVL chains those rules are in or jump to, and all rules of those chains,
 * with their `[packets:bytes]` counters; under the `*table` header they came from.
 */
export function iptablesForService(save: string, namespace: string, name: string): string {
  const mention = new RegExp(`--comment "?${escapeRe(`${namespace}/${name}`)}(?=[:" ]|$)`);
  const lines = save.split('\n');
  const chains = new Set<string>();
  for (const l of lines) {
    if (!mention.test(l)) continue;
    const from = /-A (\S+)/.exec(l)?.[1];
    const to = /-j (\S+)/.exec(l)?.[1];
    for (const c of [from, to]) if (c && serviceChain.test(c)) chains.add(c);
  }
  const out: string[] = [];
  let table = '';
  let tableShown = '';
  for (const l of lines) {
    if (l.startsWith('*')) table = l;
    const decl = /^:(\S+) /.exec(l)?.[1];
    const from = /-A (\S+)/.exec(l)?.[1];
    const keep = (decl !== undefined && chains.has(decl)) || (from !== undefined && (chains.has(from) || mention.test(l)));
    if (!keep) continue;
    if (table !== tableShown) {
      out.push(table);
      tableShown = table;
    }
    out.push(l);
  }
  return out.join('\n');
}

/**
 * The chains of one Service in `nft list table ip kube-proxy` (kube-proxy names them
 * `service-HASH-ns/name/proto/port`, `endpoint-HASH-ns/name/proto/port__ip/port`, `external-...`), whole,
 * with their counters when the rules have them, plus the map and set elements that point at them.
 */
export function nftForService(list: string, namespace: string, name: string): string {
  const tag = `-${namespace}/${name}/`;
  const out: string[] = [];
  let block: string[] | undefined;
  let depth = 0;
  for (const l of list.split('\n')) {
    if (block) {
      block.push(l);
      depth += (l.match(/\{/g)?.length ?? 0) - (l.match(/\}/g)?.length ?? 0);
      if (depth <= 0) {
        out.push(...block);
        block = undefined;
      }
      continue;
    }
    const chain = /^\s*chain (\S+) \{/.exec(l)?.[1];
    if (chain && chain.includes(tag)) {
      block = [l];
      depth = 1;
      continue;
    }
    if (l.includes(tag)) out.push(l.trim());
  }
  return out.join('\n');
}
