// The size limits of issue 11 (and the style notes): no file in src/ over 300 lines, no command over 60. Counted on
// the files as committed (formatted by prettier), so a file that only fits because it is written densely still fails.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative, sep} from 'node:path'

const root = join(process.cwd(), 'src')
const FILE_LIMIT = 300
const COMMAND_LIMIT = 60

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(ts|js|cjs|mjs)$/.test(entry.name) ? [path] : []
  })
}

function lineCount(text: string): number {
  if (text === '') return 0
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}

function overLimit(files: string[], limit: number): string[] {
  return files
    .map((path) => ({
      path: relative(process.cwd(), path).split(sep).join('/'),
      lines: lineCount(readFileSync(path, 'utf8')),
    }))
    .filter(({lines}) => lines > limit)
    .map(({path, lines}) => `${path}: ${lines} lines`)
}

describe('code shape', () => {
  const files = sourceFiles(root)

  it('finds the source files', () => {
    assert.ok(files.length > 50, `${files.length} source files`)
  })

  it(`has no file in src/ over ${FILE_LIMIT} lines`, () => {
    assert.deepEqual(overLimit(files, FILE_LIMIT), [])
  })

  it(`has no command in src/commands/ over ${COMMAND_LIMIT} lines`, () => {
    const commands = files.filter((path) => path.startsWith(join(root, 'commands') + sep))
    assert.ok(commands.length > 20, `${commands.length} commands`)
    assert.deepEqual(overLimit(commands, COMMAND_LIMIT), [])
  })

  it('counts lines as an editor shows them (so the limits can fail)', () => {
    assert.equal(lineCount(''), 0)
    assert.equal(lineCount('a\n'), 1)
    assert.equal(lineCount('a\nb'), 2)
    assert.equal(lineCount('a\n\n'), 2)
  })
})
