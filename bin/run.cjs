#!/usr/bin/env node

// exp's entry. CommonJS: an ES-module entry costs every call Node's ES-module loader (≈ 4 ms) and a facade per
// built-in module it imports; the fast path's files (dist/fast/, CommonJS too) load with require and V8's code cache.
// `exp --version` answers before oclif loads (loading @oclif/core is most of exp's start-up); the line is
// oclif's own user agent, `<package>/<version> <platform>-<arch> node-<version>` (test/cli/startup.test.ts checks it).
const {existsSync, readFileSync} = require('node:fs')
const path = require('node:path')

const args = process.argv.slice(2)
const root = path.join(__dirname, '..')
/** the start-up fast path's build (scripts/rechunk-fast.js) */
const FAST_DIR = path.join(root, 'dist', 'fast')
const read = (file) => JSON.parse(readFileSync(path.join(root, file), 'utf8'))

const userAgent = () => {
  const pkg = read('package.json')
  return `${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`
}
const fast = !process.env.EXP_NO_FAST_PATH && !process.env.DEBUG
const HELP_FLAGS = new Set(['--help', '-h'])

/**
 * `exp --help`, `exp COMMAND --help` (or -h), `exp TOPIC` and `exp` alone, from oclif's own rendering that the build
 * kept (scripts/prerender.js, dist/help.json), when this call gets the same bytes: 80 columns and no colour (oclif's
 * width: OCLIF_COLUMNS, else the terminal's, else 80; its colour: ansis, which it bundles). Answers false otherwise.
 */
async function help() {
  const flagged = HELP_FLAGS.has(args.at(-1))
  const words = flagged ? args.slice(0, -1) : args
  if (words.some((w) => w.startsWith('-'))) return false
  const tty = process.stdout.isTTY ? process.stdout.getWindowSize()[0] : 80
  if ((Number.parseInt(process.env.OCLIF_COLUMNS, 10) || (tty < 1 ? 80 : Math.max(tty, 40))) !== 80) return false
  let rendered
  try {
    rendered = read('dist/help.json')
  } catch {
    return false // a build without it (an interrupted `npm run build`): oclif renders the help
  }
  const {texts, topics, userAgent: placeholder} = rendered
  const key = words.join(':')
  if (!Object.hasOwn(texts, key) || (!flagged && key !== '' && !Object.hasOwn(topics, key))) return false
  if (require('ansis').isSupported()) return false
  process.stdout.write(texts[key].replaceAll(placeholder, userAgent()))
  return true
}

async function main() {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    process.stdout.write(`${userAgent()}\n`)
    return
  }
  if (fast && (args.length === 0 || HELP_FLAGS.has(args.at(-1))) && (await help())) return
  // `exp __complete WORDS...`: the candidates shell completion offers (src/completion/), on every Tab, without oclif
  if (args[0] === '__complete') return fastPath('complete').main(args.slice(1))
  // One of exp's own commands (named in the manifest), without a help flag, runs on a configuration without the
  // plugins (help, not-found, autocomplete): none has a part in it, and finding and reading each costs every call.
  // the manifest's part this needs, made by the build (scripts/prerender.js); the whole one is 100 KB to parse
  const {commands} = existsSync(path.join(FAST_DIR, 'manifest.json'))
    ? read('dist/fast/manifest.json')
    : read('oclif.manifest.json')
  const id = [`${args[0]}:${args[1]}`, args[0]].find(
    (candidate) => Object.hasOwn(commands, candidate) && commands[candidate].pluginType === 'core',
  )
  // `exp graph`: a topic alone shows its help
  if (fast && !id && args.length === 1 && (await help())) return
  const own = id && !args.some((a) => a === '--help' || a === '-h' || a === '--')
  // The start-up fast path (src/fastpath/): a hot command the build bundled without oclif (dist/fast/) runs from
  // the manifest's flag specs when its arguments are plain; it answers false, having done nothing, for anything
  // else. EXP_NO_FAST_PATH=1 (or DEBUG) forces oclif's path, which the tests compare it with.
  if (own && fast) {
    const file = `commands/${id.replaceAll(':', '/')}`
    if (existsSync(path.join(FAST_DIR, `${file}.cjs`))) {
      const command = fastPath(file)
      if (await fastPath('run').runFast(command, commands[id], args.slice(id.split(':').length))) return
    }
  }
  // dist/ is the bundle `npm run build` makes (scripts/build.js); dist/oclif.js is the @oclif/core the commands share.
  // Anything else (help, a topic, an unknown word, autocomplete) takes oclif's full path.
  const {Config, execute} = (await import('../dist/oclif.js')).default
  let loadOptions
  if (own) {
    const pjson = read('package.json')
    pjson.oclif.plugins = []
    loadOptions = await Config.load({pjson, root})
  }
  await execute({dir: require('node:url').pathToFileURL(__filename).href, loadOptions})
}

let codeCache = false
/** a file of dist/fast/ (`run`, `commands/list`), compiled with V8's code cache (src/fastpath/code-cache.ts) */
function fastPath(file) {
  if (!codeCache) {
    codeCache = true
    require(path.join(FAST_DIR, 'code-cache.cjs')).useCodeCache(`${FAST_DIR}${path.sep}`)
  }
  return require(path.join(FAST_DIR, `${file}.cjs`))
}

// an error that escapes is Node's unhandled rejection: printed with its stack, exit code 1
main()
