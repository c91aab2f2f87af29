/**
 * The shell functions `exp completion bash|zsh` prints: each hands the words typed so far to `exp __complete` and
 * offers what it prints; when it prints nothing, file names (a path works wherever NAME does).
 */
export const SHELLS = ['bash', 'zsh'] as const
export type Shell = (typeof SHELLS)[number]

const BASH = `# exp completion for bash: add to ~/.bashrc
#   eval "$(exp completion bash)"
_exp_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(command exp __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -o bashdefault -F _exp_complete exp
`

const ZSH = `# exp completion for zsh: add to ~/.zshrc
#   eval "$(exp completion zsh)"
(( $+functions[compdef] )) || { autoload -Uz compinit && compinit; }
_exp_complete() {
  local -a candidates
  candidates=("\${(@f)$(command exp __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} )); then
    compadd -U -Q -- "\${candidates[@]}"
  else
    _files
  fi
}
compdef _exp_complete exp
`

export function completionScript(shell: Shell): string {
  return shell === 'bash' ? BASH : ZSH
}
