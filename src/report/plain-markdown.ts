/**
 * The markdown most notes.md files use (ATX headings, paragraphs, tight `- ` lists, single-backtick code spans, plain
 * text) rendered to exactly the HTML markdown-it gives (test/unit/plain-markdown.test.ts compares the two on
 * thousands of generated documents), without loading or running markdown-it. Anything else, or anything doubtful
 * (emphasis, links, HTML, entities, escapes, indentation, tables, fences, setext underlines, ordered lists, loose
 * lists, trailing spaces), returns undefined: the caller renders the text with markdown-it.
 */
// an underscore between two letters or digits never opens or closes emphasis (latent_dim): the only one allowed, so
// an underscore is unsafe when a letter or digit is missing on either side (one pass over the text, no copy of it)
const UNSAFE = /[\\*[\]<>&|\0\r\t\v\f\uFEFF]|~~|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/
const HEADING = /^(#{1,6}) (.*)$/
const SETEXT_OR_RULE = /^[-=*_ ]+$/

/** Text outside code spans: only `"` needs escaping once the characters above are refused. */
function text(s: string): string {
  return s.replaceAll('"', '&quot;')
}

/** One line (or a paragraph's lines) with single-backtick code spans; undefined when the backticks are not simple. */
function inline(s: string): string | undefined {
  const parts = s.split('`')
  if (parts.length % 2 === 0) return undefined
  let out = ''
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]
    if (i % 2 === 0) {
      out += text(part)
      continue
    }
    // a code span: no edge spaces (markdown-it trims them), no line break inside, not empty
    if (part === '' || part.includes('\n') || part.startsWith(' ') || part.endsWith(' ')) return undefined
    out += `<code>${text(part)}</code>`
  }
  return out
}

export function plainMarkdown(source: string): string | undefined {
  if (UNSAFE.test(source)) return undefined
  const lines = source.split('\n')
  const out: string[] = []
  let paragraph: string[] = []
  let list: string[] = []
  let lastBlock = ''
  const flush = (): boolean => {
    if (paragraph.length > 0) {
      const body = inline(paragraph.join('\n'))
      if (body === undefined) return false
      out.push(`<p>${body}</p>\n`)
      paragraph = []
      lastBlock = 'p'
    }
    if (list.length > 0) {
      out.push('<ul>\n', ...list.map((item) => `<li>${item}</li>\n`), '</ul>\n')
      list = []
      lastBlock = 'ul'
    }
    return true
  }
  let blankBefore = true
  for (const line of lines) {
    if (line === '') {
      if (!flush()) return undefined
      blankBefore = true
      continue
    }
    if (
      line.startsWith(' ') ||
      line.endsWith(' ') ||
      SETEXT_OR_RULE.test(line) ||
      /^\d+[.)]/.test(line) ||
      line.startsWith('```') ||
      line.startsWith('+ ')
    )
      return undefined
    const heading = HEADING.exec(line)
    if (line.startsWith('#') && !heading) return undefined
    if (heading) {
      // a heading ends a paragraph; a closing #-sequence or an empty heading is left to markdown-it
      if (
        paragraph.length > 0 ||
        list.length > 0 ||
        heading[2].trim() === '' ||
        heading[2].startsWith(' ') ||
        heading[2].endsWith('#') ||
        !flush()
      )
        return undefined
      const body = inline(heading[2])
      if (body === undefined) return undefined
      out.push(`<h${heading[1].length}>${body}</h${heading[1].length}>\n`)
      lastBlock = 'h'
    } else if (line.startsWith('- ') || line === '-') {
      const item = line.slice(2)
      // an item interrupting a paragraph, an empty item, a second list after a blank line (a loose list): markdown-it
      // an item opening with another block's marker (a nested list, a heading, a rule) is left to markdown-it too
      if (
        paragraph.length > 0 ||
        item.trim() === '' ||
        /^([-#+>=]|\d+[.)])/.test(item) ||
        SETEXT_OR_RULE.test(item) ||
        (blankBefore && lastBlock === 'ul' && list.length === 0)
      )
        return undefined
      const body = inline(item)
      if (body === undefined) return undefined
      list.push(body)
    } else {
      // a line right after a list item would continue it (a lazy continuation line): markdown-it
      if (list.length > 0) return undefined
      paragraph.push(line)
    }
    blankBefore = false
  }
  return flush() ? out.join('') : undefined
}
