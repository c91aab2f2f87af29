import type MarkdownIt from 'markdown-it'

import {raw, type SafeHtml} from './html.js'
import {plainMarkdown} from './plain-markdown.js'

/**
 * notes.md as HTML. markdown-it with `html: false` escapes any raw HTML in the text (a `<script>` in notes is shown,
 * never run), and its link validation refuses javascript:, vbscript: and data: (except images) URLs.
 * Most notes are plain (headings, paragraphs, simple lists): plainMarkdown renders those to the same HTML, and
 * markdown-it is loaded only when a note needs it (`loadMarkdown`, before the synchronous page is rendered).
 */
let md: InstanceType<typeof MarkdownIt> | undefined

/** Load markdown-it when `text` is more than plainMarkdown renders; resolves to the HTML either way. */
export async function renderMarkdown(text: string): Promise<SafeHtml> {
  const plain = plainMarkdown(text)
  if (plain !== undefined) return raw(plain)
  if (!md) {
    const {default: Markdown} = await import('markdown-it')
    md ??= new Markdown({html: false, linkify: false, typographer: false})
  }
  return raw(md.render(text))
}
