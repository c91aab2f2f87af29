'use strict'
// Fake `vastai` (vast-ai/vast-cli v1.x) for exp's test suite. No network, no npm dependencies.
// It follows the shared vast CLI contract (docs/vast-cli-contract.md beside the project) and, where that document is silent, the
// vast-cli sources it cites (vastai/cli/main.py, commands/{instances,offers,storage,misc}.py,
// api/{client,instances,query}.py, utils.py). README.md documents the interface and the knobs.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const crypto = require('node:crypto')
const {spawn} = require('node:child_process')

const FAKE_DIR = __dirname
const DEFAULT_VERSION = '1.5.2'
const FIRST_INSTANCE_ID = 23456789
const DEFAULT_PUBLIC_IP = '203.0.113.42'
const ONSTART_LIMIT = 4048
const PY_MAIN = '/usr/local/lib/python3.12/site-packages/vastai'

// ---------------------------------------------------------------------------------------------
// process plumbing
// ---------------------------------------------------------------------------------------------

class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`)
    this.code = code
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function writeAll(fd, text) {
  const buf = Buffer.from(text, 'utf8')
  let off = 0
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off)
    } catch (error) {
      if (error.code === 'EAGAIN') {
        sleepMs(1)
        continue
      }
      if (error.code === 'EPIPE') return
      throw error
    }
  }
}

const out = (text) => writeAll(1, text)
const err = (text) => writeAll(2, text)
module.exports = {out, err}

/** Fatal misuse of the fake itself (not something the real CLI would do): loud, exit 99. */
function die(message) {
  err(`fake vastai: ${message}\n`)
  throw new Exit(99)
}

// ---------------------------------------------------------------------------------------------
// Python-compatible output: json.dumps(x, indent=1, sort_keys=True), json.dumps(x), repr(x)
// ---------------------------------------------------------------------------------------------

/** Keys whose values are Python floats: an integral value prints as `16.0`, not `16`. */
const FLOAT_KEYS = new Set([
  'bw_nvlink',
  'client_run_time',
  'cpu_cores_effective',
  'cpu_ghz',
  'cpu_util',
  'cuda_max_good',
  'disk_bw',
  'disk_space',
  'disk_usage',
  'disk_util',
  'diskHour',
  'dlperf',
  'dlperf_per_dphtotal',
  'dph_base',
  'dph_total',
  'duration',
  'end_date',
  'flops_per_dphtotal',
  'gpu_frac',
  'gpu_mem_bw',
  'gpu_max_power',
  'gpu_max_temp',
  'gpu_temp',
  'gpu_util',
  'gpuCostPerHour',
  'inet_down',
  'inet_down_cost',
  'inet_up',
  'inet_up_cost',
  'mem_limit',
  'mem_usage',
  'min_bid',
  'pci_gen',
  'pcie_bw',
  'reliability',
  'reliability2',
  'score',
  'start_date',
  'storage_cost',
  'storage_total_cost',
  'total_flops',
  'totalHour',
  'uptime_mins',
  'vmem_usage',
])

function pyFloat(x) {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return 'Infinity'
  if (x === -Infinity) return '-Infinity'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const [mant, expo] = x.toExponential().split('e') // shortest round-trip digits, like repr()
  const e = Number.parseInt(expo, 10)
  const digits = mant.replace('-', '').replace('.', '')
  const sign = x < 0 ? '-' : ''
  if (e < -4 || e >= 16) {
    const m = digits[0] + (digits.length > 1 ? '.' + digits.slice(1) : '')
    return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`
  }
  if (e >= 0) {
    if (digits.length <= e + 1) return sign + digits + '0'.repeat(e + 1 - digits.length) + '.0'
    return sign + digits.slice(0, e + 1) + '.' + digits.slice(e + 1)
  }
  return sign + '0.' + '0'.repeat(-e - 1) + digits
}

function pyNumber(x, key) {
  if (!Number.isInteger(x) || (key !== undefined && FLOAT_KEYS.has(key))) return pyFloat(x)
  return String(x)
}

/** A JSON string as Python's json module writes it with ensure_ascii=True. */
function pyJsonString(s) {
  let r = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const ch = s[i]
    if (ch === '"') r += '\\"'
    else if (ch === '\\') r += '\\\\'
    else if (ch === '\n') r += '\\n'
    else if (ch === '\r') r += '\\r'
    else if (ch === '\t') r += '\\t'
    else if (ch === '\b') r += '\\b'
    else if (ch === '\f') r += '\\f'
    else if (c < 0x20 || c > 0x7e) r += '\\u' + c.toString(16).padStart(4, '0')
    else r += ch
  }
  return r + '"'
}

function pyCompareKeys(a, b) {
  return a < b ? -1 : a > b ? 1 : 0
}

/** json.dumps(value, indent=indent, sort_keys=sortKeys); indent null = one line. */
function pyDumps(value, {indent = null, sortKeys = false} = {}) {
  const walk = (v, level, key) => {
    if (v === null || v === undefined) return 'null'
    if (v === true) return 'true'
    if (v === false) return 'false'
    if (typeof v === 'number') return pyNumber(v, key)
    if (typeof v === 'string') return pyJsonString(v)
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]'
      const items = v.map((x) => walk(x, level + 1, key))
      if (indent === null) return '[' + items.join(', ') + ']'
      const pad = ' '.repeat(indent * (level + 1))
      return '[\n' + items.map((x) => pad + x).join(',\n') + '\n' + ' '.repeat(indent * level) + ']'
    }
    if (typeof v === 'object') {
      let keys = Object.keys(v).filter((k) => v[k] !== undefined)
      if (sortKeys) keys = keys.sort(pyCompareKeys)
      if (keys.length === 0) return '{}'
      const items = keys.map((k) => pyJsonString(k) + ': ' + walk(v[k], level + 1, k))
      if (indent === null) return '{' + items.join(', ') + '}'
      const pad = ' '.repeat(indent * (level + 1))
      return '{\n' + items.map((x) => pad + x).join(',\n') + '\n' + ' '.repeat(indent * level) + '}'
    }
    return pyJsonString(String(v))
  }
  return walk(value, 0, undefined)
}

/** print(json.dumps(x, indent=1, sort_keys=True)) — what `--raw` prints. */
function printRaw(value) {
  out(pyDumps(value, {indent: 1, sortKeys: true}) + '\n')
}

/** Python repr() of str / bool / None / int / float / list / tuple / dict. */
function pyRepr(v, key) {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'number') return pyNumber(v, key)
  if (typeof v === 'string') {
    const quote = v.includes("'") && !v.includes('"') ? '"' : "'"
    let r = quote
    for (const ch of v) {
      const c = ch.codePointAt(0)
      if (ch === '\\') r += '\\\\'
      else if (ch === quote) r += '\\' + quote
      else if (ch === '\n') r += '\\n'
      else if (ch === '\r') r += '\\r'
      else if (ch === '\t') r += '\\t'
      else if (c < 0x20 || c === 0x7f) r += '\\x' + c.toString(16).padStart(2, '0')
      else r += ch
    }
    return r + quote
  }
  if (Array.isArray(v)) return '[' + v.map((x) => pyRepr(x)).join(', ') + ']'
  if (v && v.__tuple) return '(' + v.items.map((x) => pyRepr(x)).join(', ') + (v.items.length === 1 ? ',)' : ')')
  return (
    '{' +
    Object.keys(v)
      .map((k) => pyRepr(k) + ': ' + pyRepr(v[k], k))
      .join(', ') +
    '}'
  )
}
const tuple = (...items) => ({__tuple: true, items})

// ---------------------------------------------------------------------------------------------
// error forms of the real CLI (contract §0)
// ---------------------------------------------------------------------------------------------

/** An HTTP 4xx/5xx after retries: message on stderr, stdout empty, exit 0 (main.py _emit_error). */
function httpError(ctx, status, msg) {
  if (ctx.raw) err(pyDumps({error: true, status_code: status, msg}) + '\n')
  else err(`Failed with error ${status}: ${msg}\n`)
  throw new Exit(0)
}

/** An uncaught Python exception: traceback on stderr, exit 1. */
function traceback(frames, exceptionLine) {
  let text = 'Traceback (most recent call last):\n'
  text += '  File "/usr/local/bin/vastai", line 8, in <module>\n    sys.exit(main())\n             ^^^^^^\n'
  text += `  File "${PY_MAIN}/cli/main.py", line 104, in main\n    res = args.func(args)\n          ^^^^^^^^^^^^^^^\n`
  for (const [file, line, fn, code] of frames)
    text += `  File "${PY_MAIN}/${file}", line ${line}, in ${fn}\n    ${code}\n`
  err(text + exceptionLine + '\n')
  throw new Exit(1)
}

const noSuchAsk = (id) => `error 404/3603: no_such_ask Instance type by id ${id} is not available.`
const goneAsk = (id) => `error 410/3603: no_such_ask Instance type by id ${id} is no longer available.`
const noSuchInstance = (id) => `no_such_instance: Instance ${id} not found.`

// ---------------------------------------------------------------------------------------------
// argparse-like command line handling
// ---------------------------------------------------------------------------------------------

const GLOBAL_USAGE =
  'usage: vastai [-h] [--url URL] [--retry RETRY] [--explain] [--raw] [--full] [--curl] [--api-key API_KEY] [--version] [--no-color] command ...'

function usageError(usage, prog, message) {
  err(`${usage}\n${prog}: error: ${message}\n`)
  throw new Exit(2)
}

/** Global options, accepted before or after the command (everything after --args is left alone). */
function extractGlobals(argv) {
  const g = {
    raw: false,
    explain: false,
    full: false,
    curl: false,
    noColor: false,
    apiKey: undefined,
    url: undefined,
    retry: 3,
    version: false,
    help: false,
  }
  const rest = []
  let i = 0
  for (; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--args') break
    const takeValue = (name) => {
      if (i + 1 >= argv.length) usageError(GLOBAL_USAGE, 'vastai', `argument ${name}: expected one argument`)
      return argv[++i]
    }
    if (a === '--raw') g.raw = true
    else if (a === '--explain') g.explain = true
    else if (a === '--full') g.full = true
    else if (a === '--curl') g.curl = true
    else if (a === '--no-color') g.noColor = true
    else if (a === '--version') g.version = true
    else if (a === '-h' || a === '--help') g.help = true
    else if (a === '--api-key') g.apiKey = takeValue('--api-key')
    else if (a.startsWith('--api-key=')) g.apiKey = a.slice('--api-key='.length)
    else if (a === '--url') g.url = takeValue('--url')
    else if (a.startsWith('--url=')) g.url = a.slice(6)
    else if (a === '--retry' || a.startsWith('--retry=')) {
      const v = a === '--retry' ? takeValue('--retry') : a.slice(8)
      if (!/^[-+]?\d+$/.test(v.trim()))
        usageError(GLOBAL_USAGE, 'vastai', `argument --retry: invalid int value: ${pyRepr(v)}`)
      g.retry = Number.parseInt(v, 10)
    } else rest.push(a)
  }
  return {globals: g, rest: rest.concat(argv.slice(i))}
}

/** Replace the --api-key value (and any token carrying a known secret) by *** for calls.log. */
function redactArgv(argv, secrets) {
  const outv = []
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]
    if (a === '--api-key' && i + 1 < argv.length) {
      outv.push(a, '***')
      i++
      continue
    }
    if (a.startsWith('--api-key=')) a = '--api-key=***'
    for (const s of secrets) if (s && s.length >= 4) a = a.split(s).join('***')
    outv.push(a)
  }
  return outv
}

/*
 * Command specs. option: [flags..., {dest, kind, type, default, const, choices, nargs}]
 *   kind: 'flag' (store_true), 'value', 'const' (store_const), 'append', 'remainder'
 */
const COMMANDS = {
  'search offers': {
    aliases: ['search instances'],
    usage: 'usage: vastai search offers [--help] [--api-key API_KEY] [--raw] <query>',
    positionals: [{dest: 'query', nargs: '*'}],
    options: [
      ['-t', '--type', {dest: 'type', kind: 'value', default: 'on-demand'}],
      ['-i', '--interruptible', {dest: 'type', kind: 'const', const: 'bid'}],
      ['-b', '--bid', {dest: 'type', kind: 'const', const: 'bid'}],
      ['-r', '--reserved', {dest: 'type', kind: 'const', const: 'reserved'}],
      ['-d', '--on-demand', {dest: 'type', kind: 'const', const: 'on-demand'}],
      ['-n', '--no-default', {dest: 'no_default', kind: 'flag'}],
      ['--new', {dest: 'new', kind: 'flag'}],
      ['--limit', {dest: 'limit', kind: 'value', type: 'int'}],
      ['--storage', {dest: 'storage', kind: 'value', type: 'float', default: 5.0}],
      ['-o', '--order', {dest: 'order', kind: 'value', default: 'score-'}],
    ],
  },
  'create instance': {
    usage: 'usage: vastai create instance ID [OPTIONS] [--args ...]',
    positionals: [{dest: 'id', type: 'int'}],
    options: [
      ['--template_hash', {dest: 'template_hash', kind: 'value'}],
      ['--user', {dest: 'user', kind: 'value'}],
      ['--disk', {dest: 'disk', kind: 'value', type: 'float', default: 10}],
      ['--image', {dest: 'image', kind: 'value'}],
      ['--login', {dest: 'login', kind: 'value'}],
      ['--label', {dest: 'label', kind: 'value'}],
      ['--onstart', {dest: 'onstart', kind: 'value'}],
      ['--onstart-cmd', {dest: 'onstart_cmd', kind: 'value'}],
      ['--entrypoint', {dest: 'entrypoint', kind: 'value'}],
      ['--ssh', {dest: 'ssh', kind: 'flag'}],
      ['--jupyter', {dest: 'jupyter', kind: 'flag'}],
      ['--direct', {dest: 'direct', kind: 'flag'}],
      ['--jupyter-dir', {dest: 'jupyter_dir', kind: 'value'}],
      ['--jupyter-lab', {dest: 'jupyter_lab', kind: 'flag'}],
      ['--lang-utf8', {dest: 'lang_utf8', kind: 'flag'}],
      ['--python-utf8', {dest: 'python_utf8', kind: 'flag'}],
      ['--extra', {dest: 'extra', kind: 'value'}],
      ['--env', {dest: 'env', kind: 'value'}],
      ['--args', {dest: 'args', kind: 'remainder'}],
      ['--force', {dest: 'force', kind: 'flag'}],
      ['--cancel-unavail', {dest: 'cancel_unavail', kind: 'flag'}],
      ['--bid_price', {dest: 'bid_price', kind: 'value', type: 'float'}],
      ['--create-volume', {dest: 'create_volume', kind: 'value', type: 'int'}],
      ['--link-volume', {dest: 'link_volume', kind: 'value', type: 'int'}],
      ['--volume-size', {dest: 'volume_size', kind: 'value', type: 'int'}],
      ['--mount-path', {dest: 'mount_path', kind: 'value'}],
      ['--volume-label', {dest: 'volume_label', kind: 'value'}],
    ],
  },
  'show instance': {
    usage: 'usage: vastai show instance ID [options]',
    positionals: [{dest: 'id', type: 'int'}],
    options: [['-q', '--quiet', {dest: 'quiet', kind: 'flag'}]],
  },
  'show instances': {
    usage: 'usage: vastai show instances [OPTIONS]',
    positionals: [],
    options: [
      ['-q', '--quiet', {dest: 'quiet', kind: 'flag'}],
      ['-v', '--verbose', {dest: 'verbose', kind: 'flag'}],
      ['-a', '--all', {dest: 'all', kind: 'flag'}],
      ['-s', '--status', {dest: 'status', kind: 'value', nargs: '+'}],
      ['--label', {dest: 'label', kind: 'value', nargs: '+'}],
      ['--gpu-name', {dest: 'gpu_name', kind: 'value', nargs: '+'}],
      [
        '--verification',
        {dest: 'verification', kind: 'value', nargs: '+', choices: ['verified', 'unverified', 'deverified']},
      ],
      ['-l', '--limit', {dest: 'limit', kind: 'value', type: 'int'}],
      ['-t', '--next-token', {dest: 'next_token', kind: 'value'}],
      ['--order-by', {dest: 'order_by', kind: 'append'}],
      ['--cols', {dest: 'cols', kind: 'value'}],
    ],
  },
  'start instance': {
    usage: 'usage: vastai start instance ID [OPTIONS]',
    positionals: [{dest: 'id', type: 'int'}],
    options: [],
  },
  'stop instance': {
    usage: 'usage: vastai stop instance ID [OPTIONS]',
    positionals: [{dest: 'id', type: 'int'}],
    options: [],
  },
  'destroy instance': {
    usage: 'usage: vastai destroy instance id [-h] [-y] [--api-key API_KEY] [--raw]',
    positionals: [{dest: 'id', type: 'int'}],
    options: [['-y', '--yes', {dest: 'yes', kind: 'flag'}]],
  },
  'label instance': {
    usage: 'usage: vastai label instance <id> <label>',
    positionals: [{dest: 'id', type: 'int'}, {dest: 'label'}],
    options: [],
  },
  logs: {
    usage: 'usage: vastai logs INSTANCE_ID [OPTIONS] ',
    positionals: [{dest: 'INSTANCE_ID', type: 'int'}],
    options: [
      ['--tail', {dest: 'tail', kind: 'value'}],
      ['--filter', {dest: 'filter', kind: 'value'}],
      ['--daemon-logs', {dest: 'daemon_logs', kind: 'flag'}],
    ],
  },
  copy: {
    usage: 'usage: vastai copy SRC DST',
    positionals: [{dest: 'src'}, {dest: 'dst'}],
    options: [['-i', '--identity', {dest: 'identity', kind: 'value'}]],
  },
  'ssh-url': {usage: 'usage: vastai ssh-url ID', positionals: [{dest: 'id', type: 'int'}], options: []},
  'set api-key': {usage: 'usage: vastai set api-key APIKEY', positionals: [{dest: 'new_api_key'}], options: []},
  execute: {
    usage: 'usage: vastai execute id COMMAND',
    positionals: [{dest: 'id', type: 'int'}, {dest: 'COMMAND'}],
    options: [],
  },
}

function findCommand(rest) {
  const words = []
  for (const a of rest) {
    if (a.startsWith('-') && a !== '-') break
    words.push(a)
    if (words.length === 2) break
  }
  for (const [name, spec] of Object.entries(COMMANDS)) {
    for (const n of [name, ...(spec.aliases || [])]) {
      const parts = n.split(' ')
      if (parts.every((p, i) => words[i] === p)) return {name, spec, consumed: parts}
    }
  }
  return null
}

function convert(value, type, what, usage, prog) {
  if (type === 'int') {
    if (!/^\s*[-+]?\d+\s*$/.test(value))
      usageError(usage, prog, `argument ${what}: invalid int value: ${pyRepr(value)}`)
    return Number.parseInt(value, 10)
  }
  if (type === 'float') {
    const t = value.trim()
    if (t === '' || Number.isNaN(Number(t)) || /^0[xob]/i.test(t))
      usageError(usage, prog, `argument ${what}: invalid float value: ${pyRepr(value)}`)
    return Number(t)
  }
  return value
}

/** argparse's test for "this is an option string": negative numbers and strings with spaces are values. */
function looksLikeOption(tok, byFlag) {
  if (tok.length < 2 || tok[0] !== '-') return false
  if (byFlag.has(tok)) return true
  if (/^-\d+$|^-\d*\.\d+$/.test(tok)) return false
  if (tok.includes(' ')) return false
  return true
}

function parseCommandArgs(cmdName, spec, tokens) {
  const prog = `vastai ${cmdName}`
  const args = {}
  const byFlag = new Map()
  for (const opt of spec.options) {
    const conf = opt[opt.length - 1]
    for (const f of opt.slice(0, -1)) byFlag.set(f, {...conf, flags: opt.slice(0, -1)})
    if (conf.default !== undefined && args[conf.dest] === undefined) args[conf.dest] = conf.default
  }
  const longFlags = [...byFlag.keys()].filter((f) => f.startsWith('--'))
  const positionals = []
  const unrecognized = []
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]
    if (looksLikeOption(tok, byFlag)) {
      let flag = tok
      let inline
      if (tok.startsWith('--') && tok.includes('=')) {
        flag = tok.slice(0, tok.indexOf('='))
        inline = tok.slice(tok.indexOf('=') + 1)
      }
      let conf = byFlag.get(flag)
      if (!conf && flag.startsWith('--')) {
        const matches = longFlags.filter((f) => f.startsWith(flag))
        if (matches.length > 1)
          usageError(spec.usage, prog, `ambiguous option: ${flag} could match ${matches.join(', ')}`)
        if (matches.length === 1) conf = byFlag.get(matches[0])
      }
      if (!conf) {
        unrecognized.push(tok)
        continue
      }
      const what = conf.flags.join('/')
      if (conf.kind === 'flag') args[conf.dest] = true
      else if (conf.kind === 'const') args[conf.dest] = conf.const
      else if (conf.kind === 'remainder') {
        args[conf.dest] = tokens.slice(i + 1)
        break
      } else if (conf.nargs === '+') {
        const vals = inline !== undefined ? [inline] : []
        while (i + 1 < tokens.length && !looksLikeOption(tokens[i + 1], byFlag)) vals.push(tokens[++i])
        if (vals.length === 0) usageError(spec.usage, prog, `argument ${what}: expected at least one argument`)
        if (conf.choices) {
          for (const v of vals) {
            if (!conf.choices.includes(v))
              usageError(
                spec.usage,
                prog,
                `argument ${what}: invalid choice: ${pyRepr(v)} (choose from ${conf.choices.map((c) => pyRepr(c)).join(', ')})`,
              )
          }
        }
        args[conf.dest] = vals
      } else {
        let v = inline
        if (v === undefined) {
          if (i + 1 >= tokens.length || looksLikeOption(tokens[i + 1], byFlag)) {
            usageError(spec.usage, prog, `argument ${what}: expected one argument`)
          }
          v = tokens[++i]
        }
        v = convert(v, conf.type, what, spec.usage, prog)
        if (conf.kind === 'append') (args[conf.dest] = args[conf.dest] || []).push(v)
        else args[conf.dest] = v
      }
    } else positionals.push(tok)
  }
  let p = 0
  const missing = []
  for (const pos of spec.positionals) {
    if (pos.nargs === '*') {
      args[pos.dest] = positionals.slice(p)
      p = positionals.length
    } else if (p < positionals.length) {
      args[pos.dest] = convert(positionals[p++], pos.type, pos.dest, spec.usage, prog)
    } else missing.push(pos.dest)
  }
  if (missing.length > 0) usageError(spec.usage, prog, `the following arguments are required: ${missing.join(', ')}`)
  unrecognized.push(...positionals.slice(p))
  if (unrecognized.length > 0) usageError(GLOBAL_USAGE, 'vastai', `unrecognized arguments: ${unrecognized.join(' ')}`)
  return args
}

function printHelp(cmd) {
  if (cmd) {
    out(`${cmd.spec.usage}\n\n(fake vastai: see test/support/fake-vastai/README.md)\n`)
  } else {
    out(`${GLOBAL_USAGE}\n\nfake vastai ${DEFAULT_VERSION}: commands: ${Object.keys(COMMANDS).join(', ')}\n`)
  }
  throw new Exit(0)
}

// ---------------------------------------------------------------------------------------------
// FAKE_VAST_HOME: scenario, offers, state (locked), calls.log
// ---------------------------------------------------------------------------------------------

function readJsonFile(file, what) {
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if (error.code === 'ENOENT') return undefined
    throw error
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    die(`${what} ${file} is not valid JSON: ${error.message}`)
  }
}

const KNOWN_KNOBS = new Set([
  'vanish_offers',
  'unschedulable_offers',
  'reuse_offers',
  'rate_limit',
  'http_errors',
  'network_errors',
  'stuck_loading',
  'exit_without_finishing',
  'exit_when_onstart_ends',
  'polls_per_state',
  'auth_error_as_404',
  'valid_api_keys',
  'invalid_api_keys',
  'onstart_limit',
  'logs_not_ready',
  'copy_requires_running',
  'per_offer',
  'per_instance',
])

function loadScenario(home) {
  const s = readJsonFile(path.join(home, 'scenario.json'), 'scenario') || {}
  if (typeof s !== 'object' || Array.isArray(s)) die('scenario.json must hold a JSON object')
  for (const k of Object.keys(s))
    if (!KNOWN_KNOBS.has(k) && !k.startsWith('_'))
      die(`scenario.json: unknown knob ${JSON.stringify(k)} (see README.md)`)
  return s
}

/** Knobs as they apply to one instance: global < per_offer[offer id] < per_instance[creation ordinal]. */
function knobsFor(scenario, inst) {
  const k = {...scenario}
  const perOffer = scenario.per_offer && scenario.per_offer[String(inst.offer_id)]
  const perInst = scenario.per_instance && scenario.per_instance[String(inst.ordinal)]
  return {...k, ...(perOffer || {}), ...(perInst || {})}
}

function loadOffers(home) {
  const custom = readJsonFile(path.join(home, 'offers.json'), 'offers')
  if (custom === undefined) return builtinOffers()
  if (!Array.isArray(custom)) die('offers.json must hold a JSON list of offer objects')
  return custom
}

function lockPath(home) {
  return path.join(home, 'state.lock')
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

function acquireLock(home) {
  const lock = lockPath(home)
  const deadline = Date.now() + 30_000
  let wait = 2
  for (;;) {
    try {
      fs.mkdirSync(lock)
      fs.writeFileSync(path.join(lock, 'owner'), `${process.pid}\n`)
      return
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
    }
    // stale? (owner died, e.g. killed with its instance's process group)
    try {
      let stale = false
      let ownerText = null
      try {
        ownerText = fs.readFileSync(path.join(lock, 'owner'), 'utf8')
      } catch {}
      if (ownerText !== null) {
        const pid = Number.parseInt(ownerText, 10)
        if (pid && pid !== process.pid && !pidAlive(pid)) stale = true
      } else if (Date.now() - fs.statSync(lock).mtimeMs > 5000) stale = true
      if (stale) {
        const aside = `${lock}.stale.${process.pid}.${crypto.randomBytes(4).toString('hex')}`
        fs.renameSync(lock, aside)
        fs.rmSync(aside, {recursive: true, force: true})
        continue
      }
    } catch {}
    if (Date.now() > deadline) die(`could not lock ${lock} within 30 s (remove it if no fake vastai is running)`)
    sleepMs(wait)
    wait = Math.min(wait * 2, 25)
  }
}

function releaseLock(home) {
  fs.rmSync(lockPath(home), {recursive: true, force: true})
}

function emptyState() {
  return {next_instance_id: FIRST_INSTANCE_ID, created_count: 0, instances: {}, offers_taken: {}, injected: {}}
}

function loadState(home) {
  const s = readJsonFile(path.join(home, 'state.json'), 'state')
  return s ? {...emptyState(), ...s} : emptyState()
}

function saveState(home, state) {
  const file = path.join(home, 'state.json')
  const tmp = `${file}.tmp.${process.pid}`
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n')
  fs.renameSync(tmp, file)
}

/** Run fn(state) under the state lock and persist the state. Keep fn short (no copying, no waiting). */
function withState(ctx, fn) {
  acquireLock(ctx.home)
  let result
  try {
    const state = loadState(ctx.home)
    result = fn(state)
    saveState(ctx.home, state)
  } finally {
    releaseLock(ctx.home)
  }
  return result
}

function logCall(home, argv, cmdName, secrets) {
  const entry = {argv: redactArgv(argv, secrets), t: Date.now() / 1000, cmd: cmdName, pid: process.pid}
  fs.mkdirSync(home, {recursive: true})
  fs.appendFileSync(path.join(home, 'calls.log'), JSON.stringify(entry) + '\n')
}

// ---------------------------------------------------------------------------------------------
// API keys (contract §5)
// ---------------------------------------------------------------------------------------------

function configDir() {
  const x = process.env.XDG_CONFIG_HOME
  const base = x && path.isAbsolute(x) ? x : path.join(os.homedir(), '.config')
  return path.join(base, 'vastai')
}

/** --api-key > VAST_API_KEY (even when empty) > vast_tfa_key > vast_api_key > none. */
function resolveApiKey(globals) {
  if (globals.apiKey !== undefined) return globals.apiKey
  if (process.env.VAST_API_KEY !== undefined) return process.env.VAST_API_KEY
  const dir = configDir()
  const tfa = path.join(dir, 'vast_tfa_key')
  const file = fs.existsSync(tfa) ? tfa : path.join(dir, 'vast_api_key')
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    return null
  }
}

const keyHash = (key) => crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)

/** Who is calling: {kind: 'none'|'invalid'|'account'|'instance', owner, instanceId}. */
function classifyKey(state, scenario, key) {
  if (key === null || key === undefined || key === '') return {kind: 'none'}
  for (const inst of Object.values(state.instances)) {
    if (!inst.destroyed && inst.instance_api_key === key)
      return {kind: 'instance', owner: inst.owner, instanceId: inst.id}
  }
  if (Array.isArray(scenario.invalid_api_keys) && scenario.invalid_api_keys.includes(key)) return {kind: 'invalid'}
  if (Array.isArray(scenario.valid_api_keys) && !scenario.valid_api_keys.includes(key)) return {kind: 'invalid'}
  return {kind: 'account', owner: keyHash(key)}
}

function authError(ctx) {
  httpError(ctx, ctx.scenario.auth_error_as_404 ? 404 : 401, 'Invalid user key')
}

// ---------------------------------------------------------------------------------------------
// injected failures (scenario knobs rate_limit / http_errors / network_errors)
// ---------------------------------------------------------------------------------------------

function asList(x) {
  if (x === undefined || x === null) return []
  return Array.isArray(x) ? x : [x]
}

function matchesCommand(rule, cmdName) {
  const c = rule.command ?? '*'
  return c === '*' || c === cmdName || (Array.isArray(c) && c.includes(cmdName))
}

/**
 * Simulates the HTTP round trip's failure modes before the command's server-side work.
 * Counters live in state.injected. `per: "request"` rules consume one unit per HTTP attempt
 * (the real client retries 429/502/503/504 up to --retry times), `per: "call"` (default) one per
 * CLI invocation.
 */
function injectFailures(ctx, state) {
  const take = (kind, i, rule, units) => {
    const key = `${kind}:${i}`
    const used = state.injected[key] || 0
    const times = rule.times ?? 1
    const n = Math.min(units, Math.max(0, times - used))
    state.injected[key] = used + n
    return {used: n, exhausted: n === units}
  }
  const attempts = Math.max(1, ctx.globals.retry)
  asList(ctx.scenario.network_errors).forEach((rule, i) => {
    if (!matchesCommand(rule, ctx.cmdName)) return
    const perRequest = rule.per === 'request'
    const r = take('network', i, rule, perRequest ? attempts : 1)
    if (r.used > 0 && r.exhausted) ctx.pendingFailure = {type: 'network', rule}
  })
  if (ctx.pendingFailure) return
  const rules = [
    ...asList(ctx.scenario.rate_limit).map((r) => ({
      ...r,
      status: 429,
      msg: r.msg ?? 'API requests too frequent endpoint threshold=4.5',
      _kind: 'rate_limit',
    })),
    ...asList(ctx.scenario.http_errors).map((r) => ({...r, _kind: 'http_error'})),
  ]
  rules.forEach((rule, i) => {
    if (ctx.pendingFailure || !matchesCommand(rule, ctx.cmdName)) return
    const retryable = [429, 502, 503, 504].includes(rule.status)
    const units = rule.per === 'request' && retryable ? attempts : 1
    const r = take(rule._kind, i, rule, units)
    if (r.used > 0 && r.exhausted)
      ctx.pendingFailure = {type: 'http', status: rule.status ?? 500, msg: rule.msg ?? '(no detail message supplied)'}
  })
}

function raisePendingFailure(ctx) {
  const f = ctx.pendingFailure
  if (!f) return
  if (f.type === 'network') {
    traceback(
      [['api/client.py', 126, '_request', 'r = session.send(prep, timeout=effective_timeout)']],
      "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='console.vast.ai', port=443): Max retries exceeded with url: /api/v0/ (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f3a2c1b5d90>: Failed to establish a new connection: [Errno 111] Connection refused'))",
    )
  }
  httpError(ctx, f.status, f.msg)
}

/**
 * One simulated API request: injected failures, then authentication. Runs fn(state, auth) under
 * the state lock; failures are raised after the lock is released.
 */
function apiCall(ctx, fn, {allowAnonymous = false, allowInstanceKey = null} = {}) {
  let deferred = null
  const result = withState(ctx, (state) => {
    injectFailures(ctx, state)
    if (ctx.pendingFailure) return undefined
    const auth = classifyKey(state, ctx.scenario, ctx.apiKey)
    ctx.auth = auth
    if (auth.kind === 'invalid' || (auth.kind === 'none' && !allowAnonymous)) {
      deferred = 'auth'
      return undefined
    }
    if (auth.kind === 'instance') {
      const ok = allowInstanceKey !== null && allowInstanceKey(auth.instanceId)
      if (!ok) {
        deferred = 'auth'
        return undefined
      }
    }
    try {
      return fn(state, auth)
    } catch (error) {
      if (error instanceof Deferred) {
        deferred = error
        return undefined
      }
      throw error
    }
  })
  raisePendingFailure(ctx)
  if (deferred === 'auth') authError(ctx)
  if (deferred) deferred.raise()
  return result
}

/** Raised inside the lock, acted on (printing, exiting) after the state has been saved. */
class Deferred extends Error {
  constructor(raise) {
    super('deferred')
    this.raise = raise
  }
}
const deferHttpError = (ctx, status, msg) => new Deferred(() => httpError(ctx, status, msg))

// ---------------------------------------------------------------------------------------------
// offers
// ---------------------------------------------------------------------------------------------

function offer(o) {
  return {
    ask_contract_id: o.id,
    bundle_id: o.bundle_id,
    bw_nvlink: o.bw_nvlink ?? 0,
    compute_cap: o.compute_cap,
    cpu_arch: 'amd64',
    cpu_cores: o.cpu_cores,
    cpu_cores_effective: o.cpu_cores_effective,
    cpu_ghz: o.cpu_ghz,
    cpu_name: o.cpu_name,
    cpu_ram: o.cpu_ram,
    cuda_max_good: o.cuda_max_good,
    direct_port_count: o.direct_port_count,
    disk_bw: o.disk_bw,
    disk_name: o.disk_name,
    disk_space: o.disk_space,
    dlperf: o.dlperf,
    dlperf_per_dphtotal: o.dlperf_per_dphtotal,
    dph_base: o.dph_base,
    dph_total: o.dph_total,
    driver_version: o.driver_version,
    duration: o.duration,
    external: false,
    flops_per_dphtotal: o.flops_per_dphtotal,
    geolocation: o.geolocation,
    gpu_arch: 'nvidia',
    gpu_display_active: false,
    gpu_frac: 1,
    gpu_max_power: o.gpu_max_power,
    gpu_max_temp: o.gpu_max_temp,
    gpu_mem_bw: o.gpu_mem_bw,
    gpu_name: o.gpu_name,
    gpu_ram: o.gpu_ram,
    gpu_total_ram: o.gpu_ram * o.num_gpus,
    has_avx: 1,
    host_id: o.host_id,
    hosting_type: o.hosting_type ?? 0,
    id: o.id,
    inet_down: o.inet_down,
    inet_down_cost: o.inet_down_cost,
    inet_up: o.inet_up,
    inet_up_cost: o.inet_up_cost,
    is_bid: false,
    machine_id: o.machine_id,
    min_bid: o.min_bid,
    mobo_name: o.mobo_name,
    num_gpus: o.num_gpus,
    pci_gen: o.pci_gen ?? 4,
    pcie_bw: o.pcie_bw,
    public_ipaddr: o.public_ipaddr,
    reliability: o.reliability,
    reliability2: o.reliability,
    rentable: true,
    rented: false,
    score: o.score,
    search: {diskHour: o.disk_hour, gpuCostPerHour: o.dph_base, totalHour: o.dph_total},
    static_ip: o.static_ip ?? true,
    storage_cost: o.storage_cost,
    total_flops: o.total_flops,
    ubuntu_version: '22.04',
    verification: o.verified === false ? 'unverified' : 'verified',
    verified: o.verified !== false,
    vms_enabled: false,
    webpage: null,
  }
}

/** Built-in offers (default when FAKE_VAST_HOME/offers.json is absent). The last one is unverified. */
function builtinOffers() {
  return [
    offer({
      id: 18234567,
      bundle_id: 612345678,
      machine_id: 34567,
      host_id: 123456,
      gpu_name: 'RTX 4090',
      num_gpus: 1,
      gpu_ram: 24564,
      compute_cap: 890,
      cuda_max_good: 12.8,
      driver_version: '570.133.07',
      cpu_name: 'AMD Ryzen 9 7950X 16-Core Processor',
      cpu_cores: 32,
      cpu_cores_effective: 16,
      cpu_ghz: 4.5,
      cpu_ram: 128833,
      disk_bw: 3120.5,
      disk_name: 'Samsung SSD 990 PRO 2TB',
      disk_space: 250.3,
      dlperf: 91.2,
      dlperf_per_dphtotal: 255.53,
      dph_base: 0.35,
      disk_hour: 0.0069,
      dph_total: 0.3569,
      duration: 2592000,
      flops_per_dphtotal: 231.83,
      geolocation: 'Sweden, SE',
      gpu_max_power: 450,
      gpu_max_temp: 83,
      gpu_mem_bw: 908.3,
      inet_down: 1843.2,
      inet_down_cost: 0.003,
      inet_up: 902.5,
      inet_up_cost: 0.003,
      min_bid: 0.21,
      mobo_name: 'ROG STRIX X670E-E',
      pcie_bw: 24.7,
      public_ipaddr: '203.0.113.42',
      reliability: 0.9971,
      score: 231.6,
      storage_cost: 0.15,
      total_flops: 82.74,
      direct_port_count: 20,
    }),
    offer({
      id: 18234601,
      bundle_id: 612345702,
      machine_id: 34590,
      host_id: 123470,
      gpu_name: 'RTX 4090',
      num_gpus: 2,
      gpu_ram: 24564,
      compute_cap: 890,
      cuda_max_good: 12.6,
      driver_version: '560.35.03',
      cpu_name: 'AMD EPYC 7443P 24-Core Processor',
      cpu_cores: 48,
      cpu_cores_effective: 24,
      cpu_ghz: 2.85,
      cpu_ram: 257621,
      disk_bw: 2875.1,
      disk_name: 'Micron 7450 3.84TB',
      disk_space: 512.9,
      dlperf: 180.4,
      dlperf_per_dphtotal: 257.27,
      dph_base: 0.69,
      disk_hour: 0.0112,
      dph_total: 0.7012,
      duration: 1296000,
      flops_per_dphtotal: 235.98,
      geolocation: 'Norway, NO',
      gpu_max_power: 450,
      gpu_max_temp: 83,
      gpu_mem_bw: 905.1,
      inet_down: 921.7,
      inet_down_cost: 0.002,
      inet_up: 877.3,
      inet_up_cost: 0.002,
      min_bid: 0.41,
      mobo_name: 'H12SSL-i',
      pcie_bw: 24.1,
      public_ipaddr: '203.0.113.57',
      reliability: 0.9934,
      score: 402.37,
      storage_cost: 0.2,
      total_flops: 165.47,
      direct_port_count: 64,
    }),
    offer({
      id: 19012345,
      bundle_id: 623456789,
      machine_id: 40123,
      host_id: 98765,
      gpu_name: 'A100 SXM4',
      num_gpus: 1,
      gpu_ram: 81920,
      compute_cap: 800,
      cuda_max_good: 12.4,
      driver_version: '550.90.07',
      cpu_name: 'AMD EPYC 7763 64-Core Processor',
      cpu_cores: 256,
      cpu_cores_effective: 32,
      cpu_ghz: 2.45,
      cpu_ram: 258048,
      disk_bw: 4210.8,
      disk_name: 'SAMSUNG MZQL27T6HBLA',
      disk_space: 820.4,
      dlperf: 64.8,
      dlperf_per_dphtotal: 58.67,
      dph_base: 1.09,
      disk_hour: 0.0145,
      dph_total: 1.1045,
      duration: 7776000,
      flops_per_dphtotal: 17.64,
      geolocation: 'United States, US',
      gpu_max_power: 400,
      gpu_max_temp: 85,
      gpu_mem_bw: 1751.2,
      inet_down: 4821.9,
      inet_down_cost: 0.001,
      inet_up: 4511.6,
      inet_up_cost: 0.001,
      min_bid: 0.72,
      mobo_name: 'HPE ProLiant XL675d',
      pcie_bw: 25.3,
      public_ipaddr: '203.0.113.88',
      reliability: 0.9989,
      score: 310.12,
      storage_cost: 0.25,
      total_flops: 19.49,
      direct_port_count: 100,
      hosting_type: 1,
    }),
    offer({
      id: 19876543,
      bundle_id: 634567890,
      machine_id: 28111,
      host_id: 77001,
      gpu_name: 'RTX 3090',
      num_gpus: 1,
      gpu_ram: 24576,
      compute_cap: 860,
      cuda_max_good: 12.2,
      driver_version: '535.183.01',
      cpu_name: 'Intel Core i9-10900K CPU @ 3.70GHz',
      cpu_cores: 20,
      cpu_cores_effective: 10,
      cpu_ghz: 3.7,
      cpu_ram: 64215,
      disk_bw: 1650.4,
      disk_name: 'WD_BLACK SN850X 1000GB',
      disk_space: 180.7,
      dlperf: 38.6,
      dlperf_per_dphtotal: 203.91,
      dph_base: 0.18,
      disk_hour: 0.0093,
      dph_total: 0.1893,
      duration: 604800,
      flops_per_dphtotal: 188.32,
      geolocation: 'Germany, DE',
      gpu_max_power: 350,
      gpu_max_temp: 83,
      gpu_mem_bw: 836.4,
      inet_down: 512.3,
      inet_down_cost: 0.005,
      inet_up: 96.1,
      inet_up_cost: 0.005,
      min_bid: 0.09,
      mobo_name: 'Z490-A PRO',
      pcie_bw: 12.8,
      public_ipaddr: '203.0.113.23',
      reliability: 0.9712,
      score: 118.9,
      storage_cost: 0.1,
      total_flops: 35.65,
      direct_port_count: 10,
      static_ip: false,
    }),
    offer({
      id: 20111222,
      bundle_id: 645678901,
      machine_id: 45001,
      host_id: 150002,
      gpu_name: 'H100 SXM',
      num_gpus: 8,
      gpu_ram: 81559,
      compute_cap: 900,
      cuda_max_good: 12.8,
      driver_version: '570.124.06',
      cpu_name: 'Intel Xeon Platinum 8480+',
      cpu_cores: 224,
      cpu_cores_effective: 224,
      cpu_ghz: 3.8,
      cpu_ram: 2063742,
      disk_bw: 9812.6,
      disk_name: 'KIOXIA KCD8XRUG15T3',
      disk_space: 7680.5,
      dlperf: 1742.3,
      dlperf_per_dphtotal: 92.0,
      dph_base: 18.9,
      disk_hour: 0.037,
      dph_total: 18.937,
      duration: 15552000,
      flops_per_dphtotal: 29.11,
      geolocation: 'Finland, FI',
      gpu_max_power: 700,
      gpu_max_temp: 87,
      gpu_mem_bw: 2890.7,
      inet_down: 9421.4,
      inet_down_cost: 0.001,
      inet_up: 9188.2,
      inet_up_cost: 0.001,
      min_bid: 14.5,
      mobo_name: 'Supermicro X13DEG-OAD',
      pcie_bw: 52.4,
      public_ipaddr: '203.0.113.101',
      reliability: 0.9995,
      score: 2874.5,
      storage_cost: 0.3,
      total_flops: 551.28,
      direct_port_count: 200,
      hosting_type: 1,
      bw_nvlink: 447.8,
      pci_gen: 5,
    }),
    offer({
      id: 20555111,
      bundle_id: 656789012,
      machine_id: 51234,
      host_id: 160011,
      gpu_name: 'RTX 4090',
      num_gpus: 1,
      gpu_ram: 24564,
      compute_cap: 890,
      cuda_max_good: 12.8,
      driver_version: '570.133.07',
      cpu_name: 'Intel Core i7-13700K',
      cpu_cores: 24,
      cpu_cores_effective: 12,
      cpu_ghz: 3.4,
      cpu_ram: 64029,
      disk_bw: 2210.2,
      disk_name: 'Crucial P5 Plus 1TB',
      disk_space: 120.2,
      dlperf: 88.7,
      dlperf_per_dphtotal: 323.6,
      dph_base: 0.27,
      disk_hour: 0.0041,
      dph_total: 0.2741,
      duration: 864000,
      flops_per_dphtotal: 301.86,
      geolocation: 'Canada, CA',
      gpu_max_power: 450,
      gpu_max_temp: 83,
      gpu_mem_bw: 901.9,
      inet_down: 241.5,
      inet_down_cost: 0.008,
      inet_up: 39.8,
      inet_up_cost: 0.008,
      min_bid: 0.15,
      mobo_name: 'PRIME Z790-P',
      pcie_bw: 11.9,
      public_ipaddr: '203.0.113.140',
      reliability: 0.9411,
      score: 190.4,
      storage_cost: 0.12,
      total_flops: 82.74,
      direct_port_count: 4,
      verified: false,
      static_ip: false,
    }),
  ]
}

// vastai/api/query.py: offers_fields, offers_alias, offers_mult
const OFFERS_FIELDS = new Set([
  'bw_nvlink',
  'compute_cap',
  'cpu_arch',
  'cpu_cores',
  'cpu_cores_effective',
  'cpu_ghz',
  'cpu_ram',
  'cuda_max_good',
  'datacenter',
  'direct_port_count',
  'driver_version',
  'disk_bw',
  'disk_space',
  'dlperf',
  'dlperf_per_dphtotal',
  'dph_total',
  'duration',
  'external',
  'flops_per_dphtotal',
  'gpu_arch',
  'gpu_display_active',
  'gpu_frac',
  'gpu_mem_bw',
  'gpu_name',
  'gpu_ram',
  'gpu_total_ram',
  'gpu_max_power',
  'gpu_max_temp',
  'has_avx',
  'host_id',
  'id',
  'inet_down',
  'inet_down_cost',
  'inet_up',
  'inet_up_cost',
  'machine_id',
  'min_bid',
  'mobo_name',
  'num_gpus',
  'pci_gen',
  'pcie_bw',
  'reliability',
  'rentable',
  'rented',
  'storage_cost',
  'static_ip',
  'total_flops',
  'ubuntu_version',
  'verification',
  'verified',
  'vms_enabled',
  'geolocation',
  'cluster_id',
])
const OFFERS_ALIAS = {
  cuda_vers: 'cuda_max_good',
  display_active: 'gpu_display_active',
  dlperf_usd: 'dlperf_per_dphtotal',
  dph: 'dph_total',
  flops_usd: 'flops_per_dphtotal',
}
const OFFERS_MULT = {cpu_ram: 1000, gpu_ram: 1000, gpu_total_ram: 1000, duration: 24 * 60 * 60}
const OP_NAMES = {
  '>=': 'gte',
  '>': 'gt',
  gt: 'gt',
  gte: 'gte',
  '<=': 'lte',
  '<': 'lt',
  lt: 'lt',
  lte: 'lte',
  '!=': 'neq',
  '==': 'eq',
  '=': 'eq',
  eq: 'eq',
  neq: 'neq',
  noteq: 'neq',
  'not eq': 'neq',
  notin: 'notin',
  'not in': 'notin',
  nin: 'notin',
  in: 'in',
}

class QueryError extends Error {}

function pyStrip(s, chars) {
  let a = 0
  let b = s.length
  while (a < b && chars.includes(s[a])) a++
  while (b > a && chars.includes(s[b - 1])) b--
  return s.slice(a, b)
}

function numericVersion(v, {quiet = false} = {}) {
  const parts = String(v).split('.')
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p))) {
    if (!quiet) out('Invalid version string format. Expected format: X.X.X\n')
    return null
  }
  return Number.parseInt(parts.map((p) => p.padStart(3, '0')).join(''), 10)
}

/** A port of vastai/api/query.py parse_query (errors are QueryError with Python's text). */
function parseQuery(words, res) {
  const queryStr = words.join(' ').trim()
  const pattern =
    /([a-zA-Z0-9_]+)( *[=><!]+| +(?:[lg]te?|nin|neq|eq|not ?eq|not ?in|in) )?( *)(\[[^\]]+\]|"[^"]+"|[^ ]+)?( *)/g
  const opts = [...queryStr.matchAll(pattern)].map((m) => [m[1], m[2] ?? '', m[3] ?? '', m[4] ?? '', m[5] ?? ''])
  const joined = opts.map((x) => x.join('')).join('')
  if (joined !== queryStr)
    throw new QueryError(
      `Unconsumed text. Did you forget to quote your query? ${pyRepr(joined)} != ${pyRepr(queryStr)}`,
    )
  for (let [field, op, , value] of opts) {
    value = pyStrip(value, ',[]')
    if (!res[field]) res[field] = {}
    const v = res[field]
    op = op.trim()
    const opName = OP_NAMES[op]
    if (field in OFFERS_ALIAS) {
      delete res[field]
      field = OFFERS_ALIAS[field]
    }
    if (field === 'driver_version' && value.includes('.')) value = numericVersion(value)
    if (!OFFERS_FIELDS.has(field)) err(`Warning: Unrecognized field: ${field}, see list of recognized fields.\n`)
    if (!opName)
      throw new QueryError(`Unknown operator. Did you forget to quote your query? ${pyStrip(pyRepr(op), 'u')}`)
    if (opName === 'in' || opName === 'notin')
      value = String(value)
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x)
    const blank = value === null || value === '' || (Array.isArray(value) && value.length === 0)
    if (blank)
      throw new QueryError(
        `Value cannot be blank. Did you forget to quote your query? ${pyRepr(tuple(field, op, value))}`,
      )
    if (value === '?' || value === '*' || value === 'any') {
      if (opName !== 'eq') throw new QueryError('Wildcard only makes sense with equals.')
      delete res[field]
      continue
    }
    if (typeof value === 'string') value = pyStrip(value.replaceAll('_', ' '), '"')
    else if (Array.isArray(value)) value = value.map((x) => pyStrip(x.replaceAll('_', ' '), '"'))
    if (field in OFFERS_MULT) {
      const mult = (x) => {
        const t = String(x).trim()
        if (t === '' || Number.isNaN(Number(t)))
          throw new QueryError(`could not convert string to float: ${pyRepr(String(x))}`)
        return Number(t) * OFFERS_MULT[field]
      }
      v[opName] = Array.isArray(value) ? value.map(mult) : mult(value)
    } else if (value === 'true' || value === 'True') v[opName] = true
    else if (value === 'false' || value === 'False') v[opName] = false
    else if (value === 'None' || value === 'null') v[opName] = null
    else v[opName] = value
    res[field] = {...(res[field] || {}), ...v}
  }
  return res
}

function coerceLike(sample, q) {
  if (q === null || q === undefined) return q
  if (typeof sample === 'number') {
    if (typeof q === 'number') return q
    if (typeof q === 'boolean') return q ? 1 : 0
    const t = String(q).trim()
    return t !== '' && !Number.isNaN(Number(t)) ? Number(t) : Number.NaN
  }
  if (typeof sample === 'boolean') {
    if (typeof q === 'boolean') return q
    if (q === 1 || q === '1') return true
    if (q === 0 || q === '0') return false
    return q
  }
  return typeof q === 'string' ? q : String(q)
}

function offerMatches(o, query) {
  for (const [field, conds] of Object.entries(query)) {
    if (!conds || typeof conds !== 'object') continue
    let actual = o[field]
    if (actual === undefined) continue // the server ignores what it cannot evaluate here
    if (field === 'driver_version' && typeof actual === 'string')
      actual = numericVersion(actual, {quiet: true}) ?? actual
    for (const [op, q] of Object.entries(conds)) {
      const eq = (x) => {
        const c = coerceLike(actual, x)
        if (field === 'geolocation' && typeof actual === 'string' && typeof c === 'string')
          return actual === c || actual.endsWith(`, ${c}`)
        return actual === c
      }
      let ok
      if (op === 'in' || op === 'notin') {
        const list = Array.isArray(q) ? q : [q]
        const hit = list.some(eq)
        ok = op === 'in' ? hit : !hit
      } else if (op === 'eq') ok = eq(q)
      else if (op === 'neq') ok = !eq(q)
      else {
        const c = coerceLike(actual, q)
        if (c === null || c === undefined || (typeof c === 'number' && Number.isNaN(c))) ok = false
        else if (op === 'gt') ok = actual > c
        else if (op === 'gte') ok = actual >= c
        else if (op === 'lt') ok = actual < c
        else if (op === 'lte') ok = actual <= c
        else ok = true
      }
      if (!ok) return false
    }
  }
  return true
}

function sortOffers(offers, order) {
  const cmp = (a, b, field) => {
    const x = a[field]
    const y = b[field]
    const xm = x === undefined || x === null
    const ym = y === undefined || y === null
    if (xm || ym) return xm && ym ? 0 : xm ? 1 : -1
    return x < y ? -1 : x > y ? 1 : 0
  }
  return [...offers].sort((a, b) => {
    for (const [field, dir] of order) {
      const c = cmp(a, b, field)
      if (c !== 0) return dir === 'desc' && !(a[field] == null || b[field] == null) ? -c : c
    }
    return 0
  })
}

/** Rented offers leave the market until their instance is destroyed (unless reuse_offers). */
function offerListed(ctx, state, o) {
  return Boolean(ctx.scenario.reuse_offers) || state.offers_taken[String(o.id)] === undefined
}

/** vanish_offers are still listed by search (the race is between search and create) but cannot be rented. */
function offerRentable(ctx, state, o) {
  const vanished = asList(ctx.scenario.vanish_offers).map(Number)
  return offerListed(ctx, state, o) && !vanished.includes(Number(o.id))
}

function cmdSearchOffers(ctx, args) {
  let query
  const order = []
  try {
    query = args.no_default ? {} : {verified: {eq: true}, external: {eq: false}, rentable: {eq: true}}
    query = parseQuery(args.query, query)
    for (let name of String(args.order).split(',')) {
      name = name.trim()
      if (!name) continue
      let direction = 'asc'
      let field = name
      if (pyStrip(name, '-') !== name) {
        direction = 'desc'
        field = pyStrip(name, '-')
      }
      if (pyStrip(name, '+') !== name) {
        direction = 'asc'
        field = pyStrip(name, '+')
      }
      if (field in OFFERS_ALIAS) field = OFFERS_ALIAS[field]
      order.push([field, direction])
    }
  } catch (error) {
    if (!(error instanceof QueryError)) throw error
    out(`Error:  ${error.message}\n`)
    throw new Exit(1)
  }
  const offers = loadOffers(ctx.home)
  const rows = apiCall(
    ctx,
    (state) => {
      let r = offers.filter((o) => offerListed(ctx, state, o) && offerMatches(o, query))
      r = sortOffers(r, order)
      if (args.limit) r = r.slice(0, args.limit)
      return r
    },
    {allowAnonymous: true, allowInstanceKey: () => true},
  )
  if (ctx.raw) return printRaw(rows)
  printTable(rows, [
    ['ID', (o) => o.id],
    ['CUDA', (o) => o.cuda_max_good],
    ['N', (o) => `${o.num_gpus}x`],
    ['Model', (o) => o.gpu_name],
    ['PCIE', (o) => o.pcie_bw],
    ['vCPUs', (o) => o.cpu_cores_effective],
    ['RAM', (o) => (o.cpu_ram / 1000).toFixed(1)],
    ['Disk', (o) => Math.round(o.disk_space)],
    ['$/hr', (o) => Number(o.dph_total).toFixed(4)],
    ['DLP', (o) => o.dlperf],
    ['score', (o) => o.score],
    ['NV Driver', (o) => o.driver_version],
    ['R', (o) => (o.reliability * 100).toFixed(1)],
    ['mach_id', (o) => o.machine_id],
    ['status', (o) => o.verification],
    ['host_id', (o) => o.host_id],
    ['country', (o) => o.geolocation],
  ])
}

function printTable(rows, cols) {
  const cells = rows.map((r) =>
    cols.map(([, f]) => {
      const v = f(r)
      return v === null || v === undefined ? '-' : String(v)
    }),
  )
  const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (vals) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  out([line(cols.map(([h]) => h)), ...cells.map(line)].join('\n') + '\n')
}

// ---------------------------------------------------------------------------------------------
// instances
// ---------------------------------------------------------------------------------------------

function instanceDir(ctx, id) {
  return path.join(ctx.home, 'instances', String(id))
}
function instanceRoot(ctx, id) {
  return path.join(instanceDir(ctx, id), 'root')
}

/** vastai/utils.py smart_split + parse_env: '-e K=V -p 8080:8080' → {K: 'V', '-p 8080:8080': '1'}. */
function parseEnv(envs) {
  const result = {}
  if (envs === undefined || envs === null) return result
  const parts = []
  let cur = ''
  let dq = false
  let sq = false
  for (const c of envs) {
    if (c === ' ' && !(dq || sq)) {
      parts.push(cur)
      cur = ''
    } else if (c === "'") {
      sq = !sq
      cur += c
    } else if (c === '"') {
      dq = !dq
      cur += c
    } else cur += c
  }
  parts.push(cur)
  const subset = (s, allowed) => [...s].every((ch) => allowed.includes(ch))
  let prev = null
  for (const e of parts) {
    if (prev === null) {
      if (['-e', '-p', '-h', '-v', '-n'].includes(e)) prev = e
      continue
    }
    if (prev === '-p') {
      if (subset(e, '0123456789:tcp/udp')) result['-p ' + e] = '1'
    } else if (prev === '-e') {
      const kv = e.split('=')
      if (kv.length >= 2) result[kv[0]] = pyStrip(kv.slice(1).join('='), `'"`)
    } else if (prev === '-v') {
      if (subset(e, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:./_')) result['-v ' + e] = '1'
    } else if (prev === '-n') {
      if (subset(e, 'abcdefghijklmnopqrstuvwxyz0123456789-')) result['-n ' + e] = '1'
    } else result[prev] = e
    prev = null
  }
  return result
}

function shellQuote(s) {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`
}

function cmdCreateInstance(ctx, args) {
  // client side first (vastai/cli/commands/instances.py create_instance_impl)
  let onstartCmd = args.onstart_cmd
  if (args.onstart) {
    try {
      onstartCmd = fs.readFileSync(args.onstart, 'utf8')
    } catch (error) {
      const errno =
        error.code === 'ENOENT'
          ? '[Errno 2] No such file or directory'
          : error.code === 'EISDIR'
            ? '[Errno 21] Is a directory'
            : `[Errno 13] Permission denied`
      const exc =
        error.code === 'ENOENT'
          ? 'FileNotFoundError'
          : error.code === 'EISDIR'
            ? 'IsADirectoryError'
            : 'PermissionError'
      traceback(
        [
          ['cli/commands/instances.py', 198, 'create__instance', 'rj = create_instance_impl(args.id, args)'],
          ['cli/commands/instances.py', 101, 'create_instance_impl', 'with open(args.onstart, "r") as reader:'],
        ],
        `${exc}: ${errno}: ${pyRepr(args.onstart)}`,
      )
    }
  }
  if (onstartCmd === undefined || onstartCmd === null) onstartCmd = args.entrypoint ?? null
  const env = parseEnv(args.env)
  let runtype = null
  let argList = args.args
  if (args.template_hash === undefined) {
    runtype = 'ssh'
    if (argList && argList.length > 0) runtype = 'args'
    if (argList && (argList.length === 0 || (argList.length === 1 && argList[0] === ''))) {
      runtype = 'args'
      argList = null
    }
    let jupyter = Boolean(args.jupyter)
    if (!jupyter && (args.jupyter_dir || args.jupyter_lab)) jupyter = true
    if (jupyter && runtype === 'args') {
      err("Error: Can't use --jupyter and --args together. Try --onstart or --onstart-cmd instead of --args.\n")
      if (ctx.raw) out('1\n') // create__instance returns create_instance_impl's 1, which --raw prints
      throw new Exit(0)
    }
    if (jupyter) runtype = args.direct ? 'jupyter_direc ssh_direc ssh_proxy' : 'jupyter_proxy ssh_proxy'
    else if (args.ssh) runtype = args.direct ? 'ssh_direc ssh_proxy' : 'ssh_proxy'
  }
  const offers = loadOffers(ctx.home)
  const limit = ctx.scenario.onstart_limit ?? ONSTART_LIMIT
  const created = apiCall(ctx, (state, auth) => {
    const o = offers.find((x) => Number(x.id) === args.id)
    if (!o || !offerRentable(ctx, state, o)) throw deferHttpError(ctx, 404, noSuchAsk(args.id))
    const unschedulable = asList(ctx.scenario.unschedulable_offers).map(Number).includes(args.id)
    if (unschedulable && args.cancel_unavail) throw deferHttpError(ctx, 410, goneAsk(args.id))
    if (!args.image && !args.template_hash)
      throw deferHttpError(ctx, 400, 'invalid_args: an image (--image) or a template (--template_hash) is required.')
    if (onstartCmd && onstartCmd.length > limit) {
      throw deferHttpError(
        ctx,
        400,
        `invalid_args: onstart script is too long (${onstartCmd.length} characters, the limit is ${limit}).`,
      )
    }
    let id = Math.max(state.next_instance_id, FIRST_INSTANCE_ID)
    const offerIds = new Set(offers.map((x) => Number(x.id)))
    while (offerIds.has(id) || state.instances[String(id)]) id++
    state.next_instance_id = id + 1
    state.created_count += 1
    const now = Date.now() / 1000
    const inst = {
      id,
      ordinal: state.created_count,
      owner: auth.owner,
      offer_id: Number(o.id),
      offer: o,
      machine_id: o.machine_id,
      dph_total: o.dph_total,
      image: args.image ?? null,
      template_hash: args.template_hash ?? null,
      disk: args.disk,
      label: args.label ?? null,
      env,
      onstart: onstartCmd,
      entrypoint: args.entrypoint ?? null,
      args: argList ?? null,
      runtype,
      bid_price: args.bid_price ?? null,
      cancel_unavail: Boolean(args.cancel_unavail),
      instance_api_key: crypto.randomBytes(32).toString('hex'),
      jupyter_token: crypto.randomBytes(32).toString('hex'),
      created: now,
      start_date: now,
      phase: 'created',
      phase_polls: 0,
      polls: 0,
      intended_status: unschedulable ? 'stopped' : 'running',
      cur_state: unschedulable ? 'stopped' : 'running',
      unschedulable,
      ever_running: false,
      destroyed: false,
      onstart_pid: null,
      onstart_runs: 0,
      ssh_port: null,
      history: [{t: now, event: 'created', by: 'account_key'}],
    }
    state.instances[String(id)] = inst
    state.offers_taken[String(o.id)] = id
    const dir = instanceDir(ctx, id)
    fs.mkdirSync(path.join(dir, 'root', 'workspace'), {recursive: true})
    fs.writeFileSync(path.join(dir, 'onstart.sh'), containerScript(inst) ?? '')
    return inst
  })
  const result = {success: true, new_contract: created.id, instance_api_key: created.instance_api_key}
  if (ctx.raw) printRaw(result)
  else out(`Started. ${pyRepr(result)}\n`)
}

/** What the container runs when it reaches `running` (null: nothing to run). */
function containerScript(inst) {
  if (inst.runtype === 'args' && inst.args)
    return [inst.onstart, ...inst.args.map(shellQuote)].filter((x) => x).join(' ') + '\n'
  return inst.onstart ?? null
}

// ---- onstart processes -------------------------------------------------------------------------

function procStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return {state: fields[0], pgrp: Number(fields[2]), starttime: fields[19]}
  } catch {
    return null
  }
}

/** Is the recorded onstart (wrapper) process still running? Zombies and recycled pids count as gone. */
function onstartAlive(ctx, inst) {
  if (!inst.onstart_pid) return false
  if (fs.existsSync(path.join(instanceDir(ctx, inst.id), 'onstart.exit'))) return false
  if (fs.existsSync('/proc/self/stat')) {
    const st = procStat(inst.onstart_pid)
    if (!st || st.state === 'Z' || st.state === 'X') return false
    if (inst.onstart_starttime && st.starttime !== inst.onstart_starttime) return false
    return true
  }
  return pidAlive(inst.onstart_pid)
}

/** The instance's environment: caller's env without the account key, plus vast's predefined vars. */
function instanceEnv(ctx, inst) {
  const root = instanceRoot(ctx, inst.id)
  const env = {}
  const secret = ctx.auth && ctx.auth.kind === 'account' ? ctx.apiKey : null
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'VAST_API_KEY') continue
    if (secret && typeof v === 'string' && v.includes(secret)) continue
    env[k] = v
  }
  for (const [k, v] of Object.entries(inst.env || {})) if (!k.startsWith('-')) env[k] = v
  const ports = instancePorts(inst)
  for (const [spec, mapping] of Object.entries(ports || {})) {
    const [port, proto] = spec.split('/')
    if (proto === 'tcp') env[`VAST_TCP_PORT_${port}`] = mapping[0].HostPort
    else env[`VAST_UDP_PORT_${port}`] = mapping[0].HostPort
  }
  Object.assign(env, {
    CONTAINER_ID: String(inst.id),
    CONTAINER_API_KEY: inst.instance_api_key,
    VAST_CONTAINERLABEL: `C.${inst.id}`,
    DATA_DIRECTORY: path.join(root, 'workspace') + '/',
    GPU_COUNT: String(inst.offer.num_gpus ?? 1),
    PUBLIC_IPADDR: inst.offer.public_ipaddr ?? DEFAULT_PUBLIC_IP,
    SSH_PUBLIC_KEY: '',
    FAKE_VAST_INSTANCE_ROOT: root,
    XDG_CONFIG_HOME: path.join(root, 'root', '.config'),
    PATH: `${FAKE_DIR}${path.delimiter}${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
  })
  return env
}

function startOnstart(ctx, inst) {
  const script = containerScript(inst)
  if (!script) return
  const dir = instanceDir(ctx, inst.id)
  const root = instanceRoot(ctx, inst.id)
  fs.mkdirSync(path.join(root, 'workspace'), {recursive: true})
  fs.mkdirSync(path.join(root, 'root', '.config'), {recursive: true})
  const scriptFile = path.join(dir, 'onstart.sh')
  const exitFile = path.join(dir, 'onstart.exit')
  fs.writeFileSync(scriptFile, script)
  fs.rmSync(exitFile, {force: true})
  const logFd = fs.openSync(path.join(dir, 'container.log'), 'a')
  let child
  try {
    child = spawn('bash', ['-c', 'bash "$1"; echo $? > "$2"', 'fake-vast-onstart', scriptFile, exitFile], {
      cwd: root,
      detached: true,
      env: instanceEnv(ctx, inst),
      stdio: ['ignore', logFd, logFd],
    })
    child.on('error', () => {})
    child.unref()
  } finally {
    fs.closeSync(logFd)
  }
  inst.onstart_pid = child.pid ?? null
  const st = child.pid ? procStat(child.pid) : null
  inst.onstart_starttime = st ? st.starttime : null
  inst.onstart_runs += 1
  inst.history.push({t: Date.now() / 1000, event: 'onstart_started', pid: inst.onstart_pid})
}

function exitCodeOf(ctx, inst) {
  try {
    return Number.parseInt(fs.readFileSync(path.join(instanceDir(ctx, inst.id), 'onstart.exit'), 'utf8'), 10)
  } catch {
    return null
  }
}

/** SIGTERM the onstart process group (then SIGKILL what is left, unless we are in that group). */
function killOnstart(ctx, inst) {
  const pid = inst.onstart_pid
  if (!pid || !onstartAlive(ctx, inst)) return
  const self = procStat(process.pid)
  const selfInGroup = self ? self.pgrp === pid : process.env.CONTAINER_ID === String(inst.id)
  return () => {
    try {
      process.kill(-pid, 'SIGTERM')
    } catch {}
    if (selfInGroup) return
    const deadline = Date.now() + 2000
    while (Date.now() < deadline && onstartAlive(ctx, inst)) sleepMs(20)
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
  }
}

// ---- the poll-driven life cycle ----------------------------------------------------------------

/** One poll (show instance / show instances) of one instance: advance its scripted state. */
function advance(ctx, inst) {
  if (inst.destroyed) return
  const k = knobsFor(ctx.scenario, inst)
  const perState = Math.max(1, Number(k.polls_per_state ?? 1))
  inst.polls += 1
  const now = Date.now() / 1000
  if (inst.cur_state === 'stopped') {
    if (inst.unschedulable && inst.phase === 'created') {
      if (inst.phase_polls < perState) inst.phase_polls += 1
      else inst.phase = 'created-stopped'
    }
    return
  }
  switch (inst.phase) {
    case 'created':
      if (inst.phase_polls < perState) inst.phase_polls += 1
      else {
        inst.phase = 'loading'
        inst.phase_polls = 1
        inst.history.push({t: now, event: 'loading'})
      }
      break
    case 'loading':
      if (k.stuck_loading || inst.phase_polls < perState) inst.phase_polls += 1
      else {
        inst.phase = 'running'
        inst.phase_polls = 1
        inst.ever_running = true
        if (!inst.ssh_port) inst.ssh_port = 10000 + (inst.id % 50000)
        inst.history.push({t: now, event: 'running'})
        if (k.exit_without_finishing) inst.exit_pending = true
        else startOnstart(ctx, inst)
      }
      break
    case 'running':
      inst.phase_polls += 1
      if (inst.exit_pending) {
        inst.phase = 'exited'
        inst.exit_pending = false
        inst.status_msg = 'Error: container exited unexpectedly (exit code 1)'
        inst.history.push({t: now, event: 'exited', reason: 'exit_without_finishing'})
      } else if (inst.onstart_pid && !onstartAlive(ctx, inst)) {
        if (!inst.onstart_reported) {
          inst.onstart_reported = true
          inst.history.push({t: now, event: 'onstart_finished', exit_code: exitCodeOf(ctx, inst)})
        }
        if (k.exit_when_onstart_ends) {
          inst.phase = 'exited'
          inst.status_msg = `container exited (code ${exitCodeOf(ctx, inst) ?? 137})`
          inst.history.push({t: now, event: 'exited', reason: 'exit_when_onstart_ends'})
        }
      }
      break
    default:
      break
  }
}

function actualStatus(inst) {
  if (inst.cur_state === 'stopped') {
    if (inst.unschedulable && !inst.ever_running) return inst.phase === 'created-stopped' ? 'created' : null
    return inst.ever_running ? 'exited' : 'stopped'
  }
  if (inst.phase === 'created') return null
  return inst.phase // loading | running | exited
}

function instancePorts(inst) {
  if (!inst.ssh_port) return null
  const ports = {'22/tcp': [{HostIp: '0.0.0.0', HostPort: String(40000 + (inst.id % 20000))}]}
  let n = 1
  for (const key of Object.keys(inst.env || {})) {
    if (!key.startsWith('-p ')) continue
    const spec = key.slice(3).split(':').pop()
    const [port, proto = 'tcp'] = spec.split('/')
    ports[`${port}/${proto}`] = [{HostIp: '0.0.0.0', HostPort: String(40000 + ((inst.id + n++) % 20000))}]
  }
  return ports
}

/** The API's row for an instance (GET /instances/ID/ → instances; v1 list rows). */
function instanceRow(inst) {
  const o = inst.offer || {}
  const status = actualStatus(inst)
  let statusMsg = null
  if (status === 'loading') statusMsg = `Pulling image ${inst.image ?? 'template ' + inst.template_hash}`
  else if (status === 'running') statusMsg = `success, running ${inst.image ?? ''}/ssh`
  else if (status === 'exited' && inst.status_msg) statusMsg = inst.status_msg
  else if (status === 'created')
    statusMsg =
      'Unable to schedule: the requested GPUs on this machine are in use; instance created in the stopped state.'
  const running = status === 'running'
  return {
    actual_status: status,
    bundle_id: o.bundle_id ?? null,
    client_run_time: 1.1,
    compute_cap: o.compute_cap ?? null,
    cpu_arch: o.cpu_arch ?? 'amd64',
    cpu_cores: o.cpu_cores ?? null,
    cpu_cores_effective: o.cpu_cores_effective ?? null,
    cpu_name: o.cpu_name ?? null,
    cpu_ram: o.cpu_ram ?? null,
    cpu_util: running ? 3.25 : 0,
    cuda_max_good: o.cuda_max_good ?? null,
    cur_state: inst.cur_state,
    direct_port_count: o.direct_port_count ?? null,
    direct_port_end: running ? 40000 + (inst.id % 20000) + 9 : -1,
    direct_port_start: running ? 40000 + (inst.id % 20000) : -1,
    disk_bw: o.disk_bw ?? null,
    disk_space: inst.disk,
    disk_usage: running ? 0.21 : null,
    disk_util: running ? Math.round((0.21 / inst.disk) * 1e6) / 1e6 : null,
    dlperf: o.dlperf ?? null,
    dph_base: o.dph_base ?? null,
    dph_total: inst.dph_total,
    driver_version: o.driver_version ?? null,
    end_date: inst.start_date + (o.duration ?? 2592000),
    external: false,
    extra_env: Object.entries(inst.env || {}),
    geolocation: o.geolocation ?? null,
    gpu_arch: 'nvidia',
    gpu_name: o.gpu_name ?? null,
    gpu_ram: o.gpu_ram ?? null,
    gpu_temp: running ? 41.5 : null,
    gpu_totalram: o.gpu_total_ram ?? null,
    gpu_util: running ? 0.5 : null,
    host_id: o.host_id ?? null,
    id: inst.id,
    image_args: inst.args ?? [],
    image_runtype: inst.runtype ?? 'ssh',
    image_uuid: inst.image,
    inet_down: o.inet_down ?? null,
    inet_up: o.inet_up ?? null,
    intended_status: inst.intended_status,
    is_bid: inst.bid_price !== null,
    jupyter_token: inst.jupyter_token,
    label: inst.label,
    local_ipaddrs: running ? '172.17.0.2 \n' : null,
    machine_id: inst.machine_id,
    mem_limit: running ? 64.0 : null,
    mem_usage: running ? 1.31 : null,
    min_bid: o.min_bid ?? null,
    next_state: inst.intended_status,
    num_gpus: o.num_gpus ?? null,
    onstart: inst.onstart,
    os_version: '22.04',
    pci_gen: o.pci_gen ?? null,
    pcie_bw: o.pcie_bw ?? null,
    ports: instancePorts(inst),
    public_ipaddr: o.public_ipaddr ?? DEFAULT_PUBLIC_IP,
    reliability2: o.reliability2 ?? o.reliability ?? null,
    rentable: true,
    ssh_host: 'ssh4.vast.ai',
    ssh_idx: '4',
    ssh_port: inst.ssh_port,
    start_date: inst.start_date,
    static_ip: o.static_ip ?? null,
    status_msg: statusMsg,
    storage_cost: o.storage_cost ?? null,
    template_hash_id: inst.template_hash,
    template_id: null,
    time_remaining: '',
    uptime_mins: running ? Math.round(((Date.now() / 1000 - inst.start_date) / 60) * 100) / 100 : null,
    verification: o.verification ?? 'verified',
    vmem_usage: null,
  }
}

/** What the CLI does to an API row (api/instances.py show_instance / show_instances). */
function cliRow(row, {strip}) {
  const stripDeep = (v) =>
    typeof v === 'string'
      ? v.trim()
      : Array.isArray(v)
        ? v.map(stripDeep)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([a, b]) => [a, stripDeep(b)]))
          : v
  const r = strip ? Object.fromEntries(Object.entries(row).map(([k, v]) => [k, stripDeep(v)])) : {...row}
  r.duration = Date.now() / 1000 - r.start_date
  r.extra_env = Object.fromEntries(r.extra_env)
  return r
}

function ownedBy(inst, auth) {
  return !inst.destroyed && auth.kind === 'account' && inst.owner === auth.owner
}

function cmdShowInstance(ctx, args) {
  const row = apiCall(ctx, (state, auth) => {
    const inst = state.instances[String(args.id)]
    if (!inst || !ownedBy(inst, auth)) return null
    advance(ctx, inst)
    return instanceRow(inst)
  })
  if (row === null) {
    if (ctx.raw) return printRaw({instances: null})
    if (!args.quiet) err(`Instance ${args.id} not found or no longer exists.\n`)
    throw new Exit(1)
  }
  const r = cliRow(row, {strip: false})
  if (ctx.raw) return printRaw(r)
  if (args.quiet) return out(`${r.id}\n`)
  printInstanceTable([r])
}

function printInstanceTable(rows) {
  printTable(rows, [
    ['ID', (r) => r.id],
    ['Machine', (r) => r.machine_id],
    ['Status', (r) => r.actual_status],
    ['Num', (r) => `${r.num_gpus}x`],
    ['Model', (r) => r.gpu_name],
    ['SSH Addr', (r) => r.ssh_host],
    ['SSH Port', (r) => r.ssh_port],
    ['$/hr', (r) => Number(r.dph_total).toFixed(4)],
    ['Image', (r) => r.image_uuid],
    ['Label', (r) => r.label],
    ['age(hours)', (r) => (r.duration / 3600).toFixed(2)],
  ])
}

const KNOWN_STATUSES = ['created', 'exited', 'loading', 'running']

function cmdShowInstances(ctx, args) {
  if (args.status) {
    const bad = args.status.filter((s) => !KNOWN_STATUSES.includes(s))
    if (bad.length) err(`Warning: unknown status value(s): ${bad.join(', ')}. Valid: ${KNOWN_STATUSES.join(', ')}\n`)
  }
  const rows = apiCall(ctx, (state, auth) => {
    const mine = Object.values(state.instances).filter((i) => ownedBy(i, auth))
    for (const inst of mine) advance(ctx, inst)
    return mine.map(instanceRow)
  })
  let selected = rows
  if (args.status) selected = selected.filter((r) => args.status.includes(r.actual_status))
  if (args.label) {
    const labels = args.label.map((l) => (l === '' ? null : l))
    selected = selected.filter((r) => labels.includes(r.label ?? null))
  }
  if (args.gpu_name) selected = selected.filter((r) => args.gpu_name.includes(r.gpu_name))
  if (args.verification) selected = selected.filter((r) => args.verification.includes(r.verification))
  const order = []
  for (const entry of args.order_by || []) {
    const parts = entry.split(/\s+/).filter(Boolean)
    const dir = parts[1] && ['asc', 'desc'].includes(parts[1].toLowerCase()) ? parts[1].toLowerCase() : 'asc'
    if (parts[0]) order.push([parts[0], dir])
  }
  if (!order.some(([c]) => c === 'id')) order.push(['id', 'asc'])
  selected = sortOffers(selected, order)

  const pageMode = args.next_token !== undefined || args.limit !== undefined
  const fetchAll = args.all || !pageMode
  if (ctx.raw && fetchAll) return printRaw(selected.map((r) => cliRow(r, {strip: true})))
  let page = selected
  let nextToken = null
  if (!fetchAll) {
    const limit = Math.max(1, Math.min(args.limit ?? 25, 25))
    const start = args.next_token
      ? Number.parseInt(Buffer.from(args.next_token, 'base64').toString('utf8'), 10) || 0
      : 0
    page = selected.slice(start, start + limit)
    if (start + limit < selected.length) nextToken = Buffer.from(String(start + limit)).toString('base64')
  }
  if (ctx.raw) {
    const labelCounts = {}
    for (const r of selected) labelCounts[r.label ?? ''] = (labelCounts[r.label ?? ''] || 0) + 1
    return printRaw({
      instances: page,
      label_counts: labelCounts,
      next_token: nextToken,
      total_instances: selected.length,
    })
  }
  if (args.quiet) {
    for (const r of page) out(`${r.id}\n`)
    return
  }
  out(`Results Summary:\n  Total: ${selected.length} instances\n\n`)
  if (page.length === 0) out('No instances found.\n')
  else printInstanceTable(page.map((r) => cliRow(r, {strip: true})))
}

/** stop / start / destroy / label: the per-id PUT/DELETE calls. Returns the instance (or throws). */
function instanceAction(ctx, id, fn, {instanceKeyOk}) {
  let after = null
  const inst = apiCall(
    ctx,
    (state, auth) => {
      const i = state.instances[String(id)]
      if (!i || i.destroyed) throw deferHttpError(ctx, 404, noSuchInstance(id))
      if (auth.kind === 'account' && i.owner !== auth.owner) throw deferHttpError(ctx, 404, noSuchInstance(id))
      after = fn(i, state, auth) || null
      return i
    },
    {allowInstanceKey: instanceKeyOk ? (iid) => iid === id : null},
  )
  return {inst, after}
}

const by = (auth) => (auth.kind === 'instance' ? 'instance_key' : 'account_key')

function cmdStopInstance(ctx, args) {
  const {after} = instanceAction(
    ctx,
    args.id,
    (inst, state, auth) => {
      const kill = killOnstart(ctx, inst)
      inst.intended_status = 'stopped'
      inst.cur_state = 'stopped'
      inst.exit_pending = false
      inst.history.push({t: Date.now() / 1000, event: 'stopped', by: by(auth)})
      return kill
    },
    {instanceKeyOk: true},
  )
  out(`stopping instance ${args.id}.\n`)
  if (after) after()
}

function cmdStartInstance(ctx, args) {
  instanceAction(
    ctx,
    args.id,
    (inst, state, auth) => {
      if (inst.cur_state === 'stopped') {
        inst.intended_status = 'running'
        inst.cur_state = 'running'
        inst.unschedulable = false
        inst.phase = 'loading'
        inst.phase_polls = 0
        inst.onstart_pid = null
        inst.onstart_reported = false
        inst.history.push({t: Date.now() / 1000, event: 'started', by: by(auth)})
      }
    },
    {instanceKeyOk: true},
  )
  out(`starting instance ${args.id}.\n`)
}

function readLineFromStdin() {
  const buf = Buffer.alloc(1)
  let line = ''
  for (;;) {
    let n
    try {
      n = fs.readSync(0, buf, 0, 1, null)
    } catch (error) {
      if (error.code === 'EAGAIN') {
        sleepMs(10)
        continue
      }
      if (error.code === 'EOF') return null
      return line === '' ? null : line
    }
    if (n === 0) return line === '' ? null : line
    const c = buf.toString('utf8')
    if (c === '\n') return line
    line += c
  }
}

function cmdDestroyInstance(ctx, args) {
  if (!args.yes) {
    out(`Are you sure you want to destroy instance ${args.id}? This is irreversible and will delete all data. [y/N] `)
    const answer = readLineFromStdin()
    if (answer === null) {
      out('\nAborted.\n')
      return
    }
    if (answer.trim().toLowerCase() !== 'y') {
      out('Aborted.\n')
      return
    }
  }
  const {after} = instanceAction(
    ctx,
    args.id,
    (inst, state, auth) => {
      const kill = killOnstart(ctx, inst)
      inst.destroyed = true
      inst.cur_state = 'unloaded'
      inst.intended_status = 'stopped'
      inst.destroyed_at = Date.now() / 1000
      inst.history.push({t: inst.destroyed_at, event: 'destroyed', by: by(auth)})
      if (state.offers_taken[String(inst.offer_id)] === inst.id) delete state.offers_taken[String(inst.offer_id)]
      return kill
    },
    {instanceKeyOk: true},
  )
  if (!ctx.raw) out(`destroying instance ${args.id}.\n`)
  if (after) after()
}

function cmdLabelInstance(ctx, args) {
  instanceAction(
    ctx,
    args.id,
    (inst) => {
      inst.label = args.label
    },
    {instanceKeyOk: false},
  )
  out(`label for ${args.id} set to ${args.label}.\n`)
}

function cmdLogs(ctx, args) {
  const info = apiCall(ctx, (state, auth) => {
    const inst = state.instances[String(args.INSTANCE_ID)]
    if (!inst || !ownedBy(inst, auth)) throw deferHttpError(ctx, 404, noSuchInstance(args.INSTANCE_ID))
    return {knobs: knobsFor(ctx.scenario, inst), inst}
  })
  const url = `https://s3.amazonaws.com/vast.ai/instance_logs/${crypto.createHash('md5').update(String(args.INSTANCE_ID)).digest('hex')}.log`
  if (info.knobs.logs_not_ready) {
    sleepMs(200)
    traceback(
      [
        [
          'cli/commands/misc.py',
          118,
          'logs',
          'rj = instances_api.logs(client, instance_id=args.INSTANCE_ID, tail=args.tail,',
        ],
        ['api/instances.py', 226, 'logs', 'return _poll_result_url(result_url)'],
        [
          'api/instances.py',
          15,
          '_poll_result_url',
          'raise TimeoutError(f"Result not ready after {retries * delay}s: {result_url}")',
        ],
      ],
      `TimeoutError: Result not ready after 9.0s: ${url}`,
    )
  }
  let text = ''
  if (args.daemon_logs) {
    text = `daemon: container C.${args.INSTANCE_ID} state ${actualStatus(info.inst) ?? 'null'}\ndaemon: image ${info.inst.image}\n`
  } else {
    try {
      text = fs.readFileSync(path.join(instanceDir(ctx, args.INSTANCE_ID), 'container.log'), 'utf8')
    } catch {}
  }
  let lines = text.split('\n')
  if (lines.length && lines[lines.length - 1] === '') lines.pop()
  if (args.filter) lines = lines.filter((l) => l.includes(args.filter))
  if (args.tail !== undefined && /^\d+$/.test(String(args.tail).trim())) {
    const n = Number.parseInt(args.tail, 10)
    lines = n === 0 ? [] : lines.slice(-n)
  }
  let joined = lines.join('\n') + (lines.length ? '\n' : '')
  joined = joined.replace(/\n\s*\n/g, '\n') // re.sub(r'\n\s*\n', '\n', text)
  out(joined + '\n')
}

// ---- copy --------------------------------------------------------------------------------------

function vrlError(message) {
  traceback(
    [
      ['cli/commands/storage.py', 67, 'copy', '(src_id, src_path) = parse_vast_url(args.src)'],
      [
        'utils.py',
        92,
        'parse_vast_url',
        'raise VRLException(f"Path component: {path} of VRL is not a valid Unix style path.")',
      ],
    ],
    `vastai.utils.VRLException: ${message}`,
  )
}

/** vastai/utils.py parse_vast_url → {id: null|'local'|'C.123'|'123'|..., path}. */
function parseVastUrl(s) {
  let id = null
  let p = s
  if (s.includes(':')) {
    const parts = s.split(':')
    if (parts.length !== 2) vrlError('Invalid VRL (Vast resource locator).')
    ;[id, p] = parts
  } else if (/^\s*[-+]?\d+\s*$/.test(s)) {
    id = String(Number.parseInt(s, 10))
    p = '/'
  }
  if (p !== '/' && !/^(\/)?([^/\0]+(\/)?)+$/.test(p))
    vrlError(`Path component: ${p} of VRL is not a valid Unix style path.`)
  return {id, path: p}
}

function instanceIdOf(loc) {
  if (loc.id === null || loc.id === 'local') return null
  const m = /^(?:C\.)?(\d+)$/.exec(loc.id)
  return m ? Number(m[1]) : undefined
}

/** Map an instance path (absolute, or relative to the container's /) into the instance's root. */
function hostPathInInstance(root, p) {
  const trailing = p.endsWith('/') && p.length > 1
  const norm = path.posix.normalize('/' + p)
  const joined = path.join(root, norm)
  return trailing && !joined.endsWith('/') ? joined + '/' : joined
}

function listTree(src, rel, outList) {
  const st = fs.lstatSync(src)
  if (st.isDirectory()) {
    outList.push({rel: rel + '/', size: 0})
    for (const name of fs.readdirSync(src).sort())
      listTree(path.join(src, name), rel === '.' ? name : `${rel}/${name}`, outList)
  } else outList.push({rel, size: st.size})
}

/**
 * `rsync -arz SRC DST` semantics: SRC dir with a trailing slash copies its contents; without, the
 * directory itself (DST/basename). A file goes to DST/basename when DST is a directory or ends in '/',
 * else becomes DST. rsync creates DST's last component, never its missing parents.
 */
function rsyncCopy(srcHost, dstHost, display, side) {
  const out = side.quiet ? () => {} : module.exports.out
  const err = side.quiet ? () => {} : module.exports.err
  const srcTrailing = srcHost.endsWith('/')
  const srcClean = srcTrailing ? srcHost.replace(/\/+$/, '') || '/' : srcHost
  const rsyncError = (lines, code, where) => {
    err(
      lines.map((l) => `${l}\n`).join('') +
        `rsync error: ${where} (code ${code}) at main.c(1338) [${side.receiverName}=3.2.7]\n`,
    )
  }
  let st
  try {
    st = fs.statSync(srcClean)
  } catch {
    rsyncError(
      [
        `rsync: [sender] link_stat "${display.src}"${side.module ? ` (in ${side.module})` : ''} failed: No such file or directory (2)`,
      ],
      23,
      'some files/attrs were not transferred (see previous errors)',
    )
    out(`\nsent 20 bytes  received 12 bytes  64.00 bytes/sec\ntotal size is 0  speedup is 0.00\n`)
    return
  }
  const dstTrailing = dstHost.endsWith('/')
  const dstClean = dstHost.replace(/\/+$/, '') || '/'
  let dstIsDir = false
  try {
    dstIsDir = fs.statSync(dstClean).isDirectory()
  } catch {}
  const ensureDir = (dir) => {
    if (fs.existsSync(dir)) return true
    if (!fs.existsSync(path.dirname(dir))) {
      rsyncError(
        [`rsync: [Receiver] mkdir "${display.dst.replace(/\/+$/, '')}" failed: No such file or directory (2)`],
        11,
        'error in file IO',
      )
      return false
    }
    fs.mkdirSync(dir)
    return true
  }
  const entries = []
  let target
  if (st.isDirectory()) {
    if (!ensureDir(dstClean)) return
    target = srcTrailing ? dstClean : path.join(dstClean, path.basename(srcClean))
    listTree(srcClean, srcTrailing ? '.' : path.basename(srcClean), entries)
    if (srcTrailing) entries[0].rel = './'
  } else {
    if (dstIsDir || dstTrailing) {
      if (!ensureDir(dstClean)) return
      target = path.join(dstClean, path.basename(srcClean))
    } else {
      if (!fs.existsSync(path.dirname(dstClean))) {
        rsyncError(
          [`rsync: [Receiver] change_dir#3 "${path.posix.dirname(display.dst)}" failed: No such file or directory (2)`],
          3,
          'errors selecting input/output files, dirs',
        )
        return
      }
      target = dstClean
    }
    entries.push({rel: path.basename(srcClean), size: st.size})
  }
  fs.cpSync(srcClean, target, {recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true})
  const total = entries.reduce((a, e) => a + e.size, 0)
  out(
    `${side.listHeader}\n${entries.map((e) => e.rel).join('\n')}\n\nsent ${total + 120} bytes  received 35 bytes  310.00 bytes/sec\ntotal size is ${total}  speedup is 0.99\n`,
  )
}

function cmdCopy(ctx, args) {
  const src = parseVastUrl(args.src)
  const dst = parseVastUrl(args.dst)
  const fmt = (loc) => `${loc.id ? loc.id + ':' : ''}${loc.path}`
  out(`copying ${fmt(src)} ${fmt(dst)}\n`)
  const srcId = instanceIdOf(src)
  const dstId = instanceIdOf(dst)
  const info = apiCall(ctx, (state, auth) => {
    const look = (id) => {
      const inst = state.instances[String(id)]
      if (!inst || !ownedBy(inst, auth)) throw deferHttpError(ctx, 404, noSuchInstance(id))
      const k = knobsFor(ctx.scenario, inst)
      const reachable = inst.ever_running && (!k.copy_requires_running || actualStatus(inst) === 'running')
      return {
        id,
        root: instanceRoot(ctx, id),
        addr: inst.offer.public_ipaddr ?? DEFAULT_PUBLIC_IP,
        port: 40000 + (id % 20000),
        reachable,
      }
    }
    if (srcId === undefined || dstId === undefined) return {unsupported: true}
    return {src: srcId === null ? null : look(srcId), dst: dstId === null ? null : look(dstId)}
  })
  if (info.unsupported) {
    out('fake vastai: only local paths and instance locations (ID:/path, C.ID:/path) are simulated\n')
    return
  }
  if (info.src && info.dst) {
    // remote → remote: the server runs it; the CLI only reports that it started
    if (info.src.reachable && info.dst.reachable) {
      rsyncCopy(
        hostPathInInstance(info.src.root, src.path),
        hostPathInInstance(info.dst.root, dst.path),
        {src: src.path, dst: dst.path},
        {quiet: true},
      )
    }
    out('Remote to Remote copy initiated - check instance status bar for progress updates (~30 seconds delayed).\n')
    return
  }
  const sshCmd = ['ssh', ...(args.identity ? ['-i', args.identity] : [])]
  const remote = info.src || info.dst
  if (!remote) {
    // both local: the server has nothing to connect; the fake just copies like rsync would
    rsyncCopy(
      src.path,
      dst.path,
      {src: src.path, dst: dst.path},
      {listHeader: 'sending incremental file list', receiverName: 'Receiver'},
    )
    return
  }
  const e = [...sshCmd, '-p', String(remote.port), '-o', 'StrictHostKeyChecking=no'].join(' ')
  if (info.dst) {
    out(
      [
        'rsync',
        '-arz',
        '-v',
        '--progress',
        '--rsh=ssh',
        '-e',
        e,
        src.path,
        `vastai_kaalia@${remote.addr}::${dst.id}/${dst.path}`,
      ].join(' ') + '\n',
    )
  } else {
    fs.mkdirSync(dst.path, {recursive: true}) // os.makedirs(dst_path, exist_ok=True)
    out(
      [
        'rsync',
        '-arz',
        '-v',
        '--progress',
        '--rsh=ssh',
        '-e',
        e,
        `vastai_kaalia@${remote.addr}::${src.id}/${src.path}`,
        dst.path,
      ].join(' ') + '\n',
    )
  }
  if (!remote.reachable) {
    err(
      `ssh: connect to host ${remote.addr} port ${remote.port}: Connection refused\nrsync: connection unexpectedly closed (0 bytes received so far) [${info.dst ? 'sender' : 'Receiver'}]\nrsync error: unexplained error (code 255) at io.c(232) [${info.dst ? 'sender' : 'Receiver'}=3.2.7]\n`,
    )
    return
  }
  if (info.dst) {
    rsyncCopy(
      src.path,
      hostPathInInstance(remote.root, dst.path),
      {src: src.path, dst: dst.path},
      {listHeader: 'sending incremental file list', receiverName: 'Receiver'},
    )
  } else {
    rsyncCopy(
      hostPathInInstance(remote.root, src.path),
      dst.path,
      {src: src.path, dst: dst.path},
      {listHeader: 'receiving incremental file list', receiverName: 'generator', module: src.id},
    )
  }
}

// ---- small commands ----------------------------------------------------------------------------

function cmdSshUrl(ctx, args) {
  const row = apiCall(ctx, (state, auth) => {
    const inst = state.instances[String(args.id)]
    return inst && ownedBy(inst, auth) ? instanceRow(inst) : null
  })
  if (!row) {
    out(`error: no instance found with id ${args.id}\n`)
    throw new Exit(1)
  }
  const p22 = row.ports && row.ports['22/tcp']
  if (p22) return out(`ssh://root@${row.public_ipaddr}:${p22[0].HostPort}\n`)
  if (row.ssh_port) return out(`ssh://root@${row.ssh_host}:${row.ssh_port}\n`)
  out('error: ssh port not found\n')
}

function cmdSetApiKey(ctx, args) {
  const dir = configDir()
  fs.mkdirSync(dir, {recursive: true})
  const file = path.join(dir, 'vast_api_key')
  fs.writeFileSync(file, args.new_api_key, {mode: 0o600})
  out(`Your api key has been saved in ${file}\n`)
}

function cmdExecute(ctx, args) {
  apiCall(ctx, (state, auth) => {
    const inst = state.instances[String(args.id)]
    if (!inst || !ownedBy(inst, auth)) throw deferHttpError(ctx, 404, noSuchInstance(args.id))
  })
  traceback(
    [['cli/commands/misc.py', 73, 'execute', 'if rj.get("success"):']],
    "AttributeError: 'str' object has no attribute 'get'",
  )
}

const HANDLERS = {
  'search offers': cmdSearchOffers,
  'create instance': cmdCreateInstance,
  'show instance': cmdShowInstance,
  'show instances': cmdShowInstances,
  'start instance': cmdStartInstance,
  'stop instance': cmdStopInstance,
  'destroy instance': cmdDestroyInstance,
  'label instance': cmdLabelInstance,
  logs: cmdLogs,
  copy: cmdCopy,
  'ssh-url': cmdSshUrl,
  'set api-key': cmdSetApiKey,
  execute: cmdExecute,
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

function main(argv) {
  const {globals, rest} = extractGlobals(argv)
  const cmd = findCommand(rest)
  if (globals.version) {
    out(`${process.env.FAKE_VAST_VERSION || DEFAULT_VERSION}\n`)
    if (process.env.FAKE_VAST_HOME)
      logCall(process.env.FAKE_VAST_HOME, argv, '--version', [resolveApiKey(globals), process.env.VAST_API_KEY])
    throw new Exit(0)
  }
  if (globals.help) printHelp(cmd)
  const home = process.env.FAKE_VAST_HOME
  if (!home)
    die(
      "FAKE_VAST_HOME is not set: point it at a directory for the fake's state (see test/support/fake-vastai/README.md)",
    )
  fs.mkdirSync(home, {recursive: true})
  const apiKey = resolveApiKey(globals)
  logCall(home, argv, cmd ? cmd.name : null, [apiKey, process.env.VAST_API_KEY])
  if (!cmd) {
    const words = rest
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ')
    if (!words) usageError(GLOBAL_USAGE, 'vastai', 'the following arguments are required: command')
    usageError(
      GLOBAL_USAGE,
      'vastai',
      `argument command: invalid choice: ${pyRepr(words)} (choose from ${Object.keys(COMMANDS)
        .map((c) => pyRepr(c))
        .join(', ')})`,
    )
  }
  const tokens = [...rest]
  for (const w of cmd.consumed) tokens.splice(tokens.indexOf(w), 1)
  const args = parseCommandArgs(cmd.name, cmd.spec, tokens)
  const ctx = {
    home,
    globals,
    raw: globals.raw,
    apiKey,
    scenario: loadScenario(home),
    cmdName: cmd.name,
    auth: null,
    pendingFailure: null,
  }
  HANDLERS[cmd.name](ctx, args)
}

let code = 0
try {
  main(process.argv.slice(2))
} catch (error) {
  if (error instanceof Exit) code = error.code
  else {
    err(`fake vastai: internal error: ${error && error.stack ? error.stack : error}\n`)
    code = 98
  }
}
process.exit(code)
