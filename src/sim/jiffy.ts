// jiffy:encode(Term, [pretty]) as EMQX prints it for `cluster status --json` and `plugins list`
// (facts §3): 2-space indent, `"key" : value`, object keys in DESCENDING order (jiffy walks the
// map's sorted proplist from the end), and the empty-array quirk `[\n<indent+2 spaces>\n<indent>]`.

export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

export function jiffyPretty(v: Json, indent = 0): string {
  const pad = ' '.repeat(indent);
  const inner = ' '.repeat(indent + 2);
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return `[\n${inner}\n${pad}]`;
    return `[\n${(v as Json[]).map((e) => inner + jiffyPretty(e, indent + 2)).join(',\n')}\n${pad}]`;
  }
  const obj = v as { readonly [k: string]: Json };
  const keys = Object.keys(obj).sort().reverse();
  if (keys.length === 0) return `{\n${inner}\n${pad}}`;
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)} : ${jiffyPretty(obj[k], indent + 2)}`).join(',\n')}\n${pad}}`;
}
