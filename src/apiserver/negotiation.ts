/** How a GET/LIST/WATCH wants its objects rendered. */
export interface OutputFormat {
  table: boolean;
  /** Table rows' `object`: kubectl's default is PartialObjectMetadata. */
  includeObject: 'None' | 'Metadata' | 'Object';
}

/** Reads `Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...` as kube-apiserver does. */
export function outputFormat(accept: string | undefined, query: URLSearchParams): OutputFormat {
  const include = query.get('includeObject');
  const includeObject = include === 'None' || include === 'Object' ? include : 'Metadata';
  for (const clause of (accept ?? '').split(',')) {
    const params = new Map<string, string>();
    const [type, ...rest] = clause.split(';');
    for (const p of rest) {
      const [k, v] = p.split('=');
      if (k && v) params.set(k.trim(), v.trim());
    }
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io' && (params.get('v') === 'v1' || params.get('v') === 'v1beta1')) {
      return { table: true, includeObject };
    }
    if (type?.trim() === 'application/json' && !params.get('as')) break;
  }
  return { table: false, includeObject };
}
