export function tally(ids: string[]): Map<string, number> {
  return ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());
}
