/** apiequality.Semantic.DeepEqual for JSON-shaped values: nil and empty maps/lists compare equal. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(canonical) : undefined;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      if (c !== undefined && c !== null) out[k] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}
