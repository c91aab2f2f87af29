#!/usr/bin/env node
// The limit for `exp graph show`: parse work_graph.json, sort its nodes topologically (dependencies first), print one
// line per node. What any graph tool must at least do; `exp graph show` is measured against it.
import {readFileSync} from 'node:fs'

const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const done = new Set()
const out = []
const visit = (id) => {
  if (done.has(id)) return
  done.add(id)
  for (const dep of doc.nodes[id].depends_on) visit(dep)
  out.push(`${id} ${doc.nodes[id].action} ${doc.nodes[id].status}`)
}
for (const id of Object.keys(doc.nodes)) visit(id)
process.stdout.write(out.join('\n') + '\n')
