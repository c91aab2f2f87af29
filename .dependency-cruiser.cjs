/**
 * The layers of exp, lowest first (the shared architecture notes; the README's "Layers" section mirrors this list).
 * A module may import its own layer and the layers below it, never one above; no import circle anywhere (static,
 * dynamic `await import()` and type-only imports all count). `npm run lint` runs `depcruise src`.
 *
 * A pattern ending in `\.ts$` names one file and wins over a folder pattern of another layer.
 */
const LAYERS = [
  {name: 'lib', paths: ['^src/lib/', '^src/errors\\.ts$']},
  {
    name: 'records',
    paths: [
      '^src/records/',
      '^src/config/',
      '^src/checkpoints/',
      '^src/runs/(record|validate|metrics)\\.ts$',
      '^src/sweeps/record\\.ts$',
      '^src/graph/record\\.ts$',
      '^src/reports/report\\.ts$',
    ],
  },
  {name: 'workspace', paths: ['^src/workspace/']},
  {name: 'experiments', paths: ['^src/experiments/(scan|walk|walked|workspace-reports|snapshot|resolve|naming)\\.ts$']},
  {name: 'classification', paths: ['^src/classify/', '^src/reports/']},
  {name: 'backends', paths: ['^src/backends/', '^src/launch/(engines|launch-log|plan|checkpoint-gate)\\.ts$']},
  {
    name: 'services',
    paths: [
      '^src/(archive|compare|completion|cron|curate|experiments|graph|launch|leaderboard|promote|remote|report|runs|sweeps|verify)/',
      '^src/recovery-handlers\\.ts$',
    ],
  },
  {
    name: 'commands',
    paths: [
      '^src/commands/',
      '^src/fastpath/',
      '^src/hooks/',
      '^src/base-command\.ts$',
      '^src/flags\.ts$',
      '^src/command-flags/',
      '^src/launch-flags\.ts$',
      '^src/promote-flags\.ts$',
      '^src/command-context\.ts$',
    ],
  },
]

/**
 * Known violations, each with the item that removes it (`{from, to, item}`, path regexes). Empty: keep it so.
 */
const KNOWN = []
/** Known import circles (`{via, item}`: a module they pass through). Empty: keep it so. */
const KNOWN_CIRCLES = []

const isFile = (p) => p.endsWith('$')
const any = (patterns) => patterns.join('|')
/** The matcher of one layer: its own patterns minus the files another layer claims by name. */
function layerMatch(index) {
  const own = LAYERS[index].paths
  const claimed = LAYERS.flatMap((layer, i) => (i === index ? [] : layer.paths.filter(isFile)))
  return claimed.length > 0 ? {path: any(own), pathNot: any(claimed)} : {path: any(own)}
}
const layerRules = LAYERS.slice(0, -1).flatMap((layer, i) =>
  LAYERS.slice(i + 1).map((above, j) => ({
    name: `${layer.name}-not-above`,
    comment: `the ${layer.name} layer must not import the ${above.name} layer above it`,
    severity: 'error',
    from: layerMatch(i),
    to: layerMatch(i + 1 + j),
  })),
)

// A known exception leaves the generic rules and gets rules of its own that allow just that one import.
const knownFiles = [...new Set(KNOWN.map((k) => k.from))]
const rules = layerRules.flatMap((rule) => {
  const general = {...rule, from: {...rule.from, pathNot: any([rule.from.pathNot, ...knownFiles].filter(Boolean))}}
  const special = knownFiles
    .filter((file) => new RegExp(rule.from.path).test(file.replace(/^\^|\$$/g, '').replace(/\\/g, '')))
    .map((file) => {
      const allowed = KNOWN.filter((k) => k.from === file).map((k) => k.to)
      return {
        ...rule,
        from: {path: file},
        to: {...rule.to, pathNot: any([rule.to.pathNot, ...allowed].filter(Boolean))},
      }
    })
  return [general, ...special]
})

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import circle (static, dynamic or type-only) ties layers together',
      severity: 'error',
      from: {path: '^src/'},
      to: KNOWN_CIRCLES.length > 0 ? {circular: true, viaNot: any(KNOWN_CIRCLES.map((c) => c.via))} : {circular: true},
    },
    {
      name: 'in-a-layer',
      comment: 'every module of src/ belongs to a layer in .dependency-cruiser.cjs',
      severity: 'error',
      from: {path: '^src/', pathNot: any(LAYERS.flatMap((l) => l.paths))},
      to: {},
    },
    ...rules,
    ...KNOWN_CIRCLES.map((c) => ({
      name: 'known-circle',
      comment: `known import circle, removed by issue 11: ${c.item}`,
      severity: 'warn',
      from: {path: '^src/'},
      to: {circular: true, via: c.via},
    })),
    ...KNOWN.map((k) => ({
      name: 'known-exception',
      comment: `known upward import, removed by issue 11: ${k.item}`,
      severity: 'warn',
      from: {path: k.from},
      to: {path: k.to},
    })),
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    exclude: {path: '^(dist|node_modules)/'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {extensions: ['.ts', '.js']},
    reporterOptions: {text: {highlightFocused: true}},
  },
}
