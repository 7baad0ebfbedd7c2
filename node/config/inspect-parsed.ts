/** Checks on a parsed config document before validation reads it (nesting and non-finite numbers). */

/**
 * A config is a few levels deep (policy.rules[0].actions[0].hook.args[0] is
 * the deepest field, 6); anything past this is refused before validation
 * walks it (a nesting bomb otherwise exhausts the stack).
 */
export const MAX_CONFIG_DEPTH = 32
/** YAML aliases may expand to at most this many nodes (yaml's own guard against alias bombs, "billion laughs"). */
export const MAX_YAML_ALIAS_COUNT = 100

/**
 * Walks a parsed document without recursion: the path of the first value
 * deeper than MAX_CONFIG_DEPTH, and every number that is not finite (JSON's
 * `1e309` and YAML's `.inf` parse to Infinity; validation names them).
 */
export function inspectParsed (root: unknown): { tooDeep: string | null, nonFinite: string[] } {
  const nonFinite: string[] = []
  const stack: Array<{ v: unknown, path: string, depth: number }> = [{ v: root, path: '', depth: 0 }]
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as { v: unknown, path: string, depth: number }
    if (typeof v === 'number') {
      if (!Number.isFinite(v) && nonFinite.length < 100) nonFinite.push(path)
      continue
    }
    if (v == null || typeof v !== 'object') continue
    if (depth >= MAX_CONFIG_DEPTH) return { tooDeep: path, nonFinite }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 })
    } else {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) stack.push({ v: x, path: path === '' ? k : `${path}.${k}`, depth: depth + 1 })
    }
  }
  return { tooDeep: null, nonFinite }
}

