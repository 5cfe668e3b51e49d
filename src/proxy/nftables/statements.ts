/**
 * The `nft -f` statement forms the datapath writes. nft 1.0.6 lists the whole table (every chain and set:
 * 0.1–0.5 s at 10,000 Services) before any transaction holding one statement that needs its cache —
 * `add rule`, `add element`, any `delete`, `flush set/map`. Rules given inside `add chain NAME { …; }` and
 * elements inside `add set/map NAME { type …; elements = { … } }` skip it, so a partial sync uses only those.
 */
export const table = 'ip kube-proxy';

/** A shared set or map: its kind and declaration (what `add set/map` and `nft list` show). */
export interface SharedSet {
  kind: 'set' | 'map';
  declaration: string;
}

/** kube-proxy's shared sets and maps, in the order a full sync declares them. */
export const sharedSets: ReadonlyMap<string, SharedSet> = new Map<string, SharedSet>([
  ['cluster-ips', { kind: 'set', declaration: 'type ipv4_addr ; comment "Active ClusterIPs" ;' }],
  ['nodeport-ips', { kind: 'set', declaration: 'type ipv4_addr ; comment "IPs that accept NodePort traffic" ;' }],
  ['firewall-ips', { kind: 'map', declaration: 'type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ;' }],
  ['no-endpoint-nodeports', { kind: 'map', declaration: 'type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ;' }],
  ['no-endpoint-services', { kind: 'map', declaration: 'type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ;' }],
  ['service-ips', { kind: 'map', declaration: 'type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ;' }],
  ['service-nodeports', { kind: 'map', declaration: 'type inet_proto . inet_service : verdict ; comment "NodePort traffic" ;' }],
]);

/** One element of a shared set or map: `key` identifies it (what a delete names), `body` is all of it. */
export interface SetElement {
  set: string;
  key: string;
  body: string;
}

/** `add set/map NAME { declaration }`. */
export function declareSharedSet(name: string): string {
  const s = sharedSets.get(name);
  if (!s) throw new Error(`unknown shared set ${name}`);
  return `add ${s.kind} ${table} ${name} { ${s.declaration} }`;
}

/** The elements, added inside the set's declaration (no cache); none → no statement. */
export function addElements(name: string, bodies: string[]): string[] {
  if (!bodies.length) return [];
  const s = sharedSets.get(name);
  if (!s) throw new Error(`unknown shared set ${name}`);
  return [`add ${s.kind} ${table} ${name} { ${s.declaration} elements = { ${bodies.join(', ')} } }`];
}

/** `delete element` (needs nft's cache: there is no cache-free form in nft 1.0.6). */
export function deleteElements(name: string, keys: string[]): string[] {
  return keys.length ? [`delete element ${table} ${name} { ${keys.join(', ')} }`] : [];
}

/** The chain's rules, given inside its `add chain` (no cache); no rules → the plain `add chain`. */
export function chainWithRules(name: string, rules: readonly string[]): string {
  return rules.length ? `add chain ${table} ${name} { ${rules.join(' ; ')} ; }` : `add chain ${table} ${name}`;
}

/** A chain that may exist holding only `rules` afterwards: created if missing, emptied, then filled. */
export function rewriteChain(name: string, rules: readonly string[]): string[] {
  const out = [`add chain ${table} ${name}`, `flush chain ${table} ${name}`];
  if (rules.length) out.push(chainWithRules(name, rules));
  return out;
}

/** True if this statement makes nft 1.0.6 list the table before the transaction (see the file comment). */
export function needsCache(statement: string): boolean {
  return /^(?:add|insert|replace|create) (?:rule|element) /.test(statement) || /^(?:delete|destroy) /.test(statement)
    || /^flush (?:set|map|meter|ruleset|table) /.test(statement) || /^(?:list|get|reset|rename) /.test(statement);
}
