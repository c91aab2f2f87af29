import MarkdownIt from 'markdown-it'

import {raw, type SafeHtml} from './html.js'
import {plainMarkdown} from './plain-markdown.js'

/**
 * notes.md as HTML. markdown-it with `html: false` escapes any raw HTML in the text (a `<script>` in notes is shown,
 * never run), and its link validation refuses javascript:, vbscript: and data: (except images) URLs.
 */
const md = new MarkdownIt({html: false, linkify: false, typographer: false})

export function markdown(text: string): SafeHtml {
  return raw(plainMarkdown(text) ?? md.render(text))
}
