// EMQX release version strings and the rules for which hops a hot upgrade can make (facts §5).
//
// Ordering mirrors emqx_release:vsn_compare/2: `{{Major,Minor,Patch}, Suffix}` where Suffix is
// "" for finals and `-g<sha>` builds, else `{Stage, N}`; Erlang term order puts any tuple below
// "" and compares stage names as strings. So alpha < beta < patch < rc < final — the `-patch.N`
// quirk: 5.10.1-patch.1 sorts *below* 5.10.1 although it is a patched 5.10.1.
//
// Comparison is not what decides a hot upgrade, though: the plugin matches its catalog entry by
// exact string equality (`str(F) =:= str(CurrVsn)`), so 5.10.4-g1a2b3c4d and 5.10.5-rc.1 nodes
// never match a `5.10.4 -> 5.10.5` hop.

export type StageName = 'alpha' | 'beta' | 'rc' | 'patch';

export interface EmqxVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly stage?: { readonly name: StageName; readonly n: number };
  /** Untagged builds: `5.10.4-g1234abcd`. */
  readonly gitSha?: string;
  readonly raw: string;
}

const VERSION =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(alpha|beta|rc|patch)\.(0|[1-9]\d*))?(?:-g([0-9a-f]{4,40}))?$/;

/** Parse a version exactly as the node prints it (no `e`/`v` tag prefix). null when not one. */
export function parseEmqxVersion(s: string): EmqxVersion | null {
  const m = VERSION.exec(s);
  if (!m) return null;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    ...(m[4] === undefined ? {} : { stage: { name: m[4] as StageName, n: Number(m[5]) } }),
    ...(m[6] === undefined ? {} : { gitSha: m[6] }),
    raw: s,
  };
}

function need(v: EmqxVersion | string): EmqxVersion {
  if (typeof v !== 'string') return v;
  const p = parseEmqxVersion(v);
  // Callers parse (and report) user-supplied versions first; reaching this is a bug.
  if (!p) throw new TypeError(`not an EMQX version: ${JSON.stringify(v)}`);
  return p;
}

const cmp = (a: number | string, b: number | string): -1 | 0 | 1 => (a < b ? -1 : a > b ? 1 : 0);

/**
 * -1 / 0 / 1 like emqx_release:vsn_compare. `-g<sha>` is ignored (5.10.4-gabc == 5.10.4).
 * Throws TypeError on an unparseable string: parse user input with parseEmqxVersion first.
 */
export function compareEmqxVersions(a: EmqxVersion | string, b: EmqxVersion | string): -1 | 0 | 1 {
  const x = need(a);
  const y = need(b);
  const byNumber = cmp(x.major, y.major) || cmp(x.minor, y.minor) || cmp(x.patch, y.patch);
  if (byNumber !== 0) return byNumber;
  if (!x.stage && !y.stage) return 0;
  if (!x.stage) return 1; // "" (final) sorts above every {Stage, N}
  if (!y.stage) return -1;
  return cmp(x.stage.name, y.stage.name) || cmp(x.stage.n, y.stage.n);
}

export type HopKind = 'patch-hop' | 'same' | 'downgrade' | 'minor-or-major' | 'invalid';

export interface HopClass {
  readonly kind: HopKind;
  /** Why, in words an operator can act on. */
  readonly reason: string;
  /** Caveats that do not change the kind (pre-release / untagged sides). */
  readonly warnings: readonly string[];
}

const isPre = (v: EmqxVersion): boolean => v.stage !== undefined || v.gitSha !== undefined;
const core = (v: EmqxVersion): string => `${v.major}.${v.minor}.${v.patch}`;

/**
 * What kind of hop `from → to` is. Hot upgrade covers patch hops only: same major.minor and a
 * higher patch ("5.10.4 to 5.10.5 is supported, 5.10.x to 5.11.0 is not", facts §5).
 */
export function classifyHop(from: string, to: string): HopClass {
  const f = parseEmqxVersion(from);
  const t = parseEmqxVersion(to);
  if (!f || !t) {
    const bad = [!f ? `from ${JSON.stringify(from)}` : null, !t ? `to ${JSON.stringify(to)}` : null]
      .filter(Boolean)
      .join(' and ');
    return {
      kind: 'invalid',
      reason: `${bad} is not an EMQX version (expected Major.Minor.Patch with an optional -alpha.N/-beta.N/-rc.N/-patch.N and -g<sha>, as \`emqx ctl status\` prints it)`,
      warnings: [],
    };
  }
  if (from === to) return { kind: 'same', reason: `the node already runs ${to}`, warnings: [] };

  const c = compareEmqxVersions(f, t);
  if (c === 0) {
    // Same number, different spelling: only the -g<sha> part differs (untagged builds).
    return {
      kind: 'invalid',
      reason: `${from} and ${to} are the same release number from different builds; a hot upgrade needs a catalog hop from exactly "${from}", and patch hops go to a higher patch version`,
      warnings: [],
    };
  }
  if (f.stage?.name === 'patch' && !t.stage && core(f) === core(t)) {
    return {
      kind: 'invalid',
      reason: `${from} is a patched build of ${core(f)}; EMQX sorts it below ${to} (vsn_compare quirk) but going to ${to} would drop the patch — this is not a hot-upgrade hop`,
      warnings: [],
    };
  }
  if (c > 0)
    return {
      kind: 'downgrade',
      reason: `${to} is older than ${from}; hot upgrade only moves forward and has no rollback`,
      warnings: [],
    };
  if (f.major !== t.major || f.minor !== t.minor) {
    return {
      kind: 'minor-or-major',
      reason: `${from} → ${to} changes the ${f.major !== t.major ? 'major' : 'minor'} version; hot upgrade covers patch hops only (same ${f.major}.${f.minor}.x): use a rolling restart upgrade instead`,
      warnings: [],
    };
  }

  const warnings: string[] = [];
  if (isPre(f)) {
    warnings.push(
      `the node runs ${from}, a ${f.stage ? `pre-release (${f.stage.name})` : 'untagged (-g<sha>)'} build: the plugin matches catalog entries by exact string, so it never matches a hop from ${core(f)}; the catalog must list "${from}" itself`,
    );
  }
  if (isPre(t)) {
    warnings.push(
      `the target ${to} is a ${t.stage ? `pre-release (${t.stage.name})` : 'untagged (-g<sha>)'} build: the catalog must list a hop to exactly "${to}"`,
    );
  }
  if (f.patch === t.patch) {
    // e.g. 5.10.5-rc.1 → 5.10.5: forward, but not to a higher patch number.
    return {
      kind: 'patch-hop',
      reason: `${from} → ${to} moves within patch ${core(t)} (pre-release to a later stage or final); valid only if the catalog lists exactly this hop`,
      warnings,
    };
  }
  return { kind: 'patch-hop', reason: `${from} → ${to} is a patch hop within ${f.major}.${f.minor}.x`, warnings };
}
