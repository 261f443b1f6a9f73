# zsh -f zsh-complete.zsh MODE SCRIPT OUTDIR QUERY...
#
# Types each QUERY, then TAB, into an interactive `zsh -f` on a pseudo-terminal (zpty), as a user
# would, and writes the words the completion offers (every compadd call, through a wrapper that
# asks compadd itself which words match) to OUTDIR/<n>, one per line. MODE is `source` (the script
# is sourced after compinit) or `fpath` (SCRIPT is a directory holding `_berth`, found by compinit).
# Every wait is bounded: 15 s for the shell, 15 s per query.
emulate -L zsh
zmodload zsh/zpty || exit 3
local mode=$1 script=$2 out=$3
shift 3

# Waits for a file the shell on the terminal writes, reading its output meanwhile (a full terminal
# would block it).
wait_for() {
  local tries=0 line
  while [[ ! -e $1 ]] && (( tries++ < 300 )); do
    zpty -r -t completing line >/dev/null 2>&1
    sleep 0.05
  done
  [[ -e $1 ]]
}

zpty -b completing zsh -f -i || exit 4
local setup="PS1='> '; unsetopt beep"
if [[ $mode == fpath ]]; then
  setup+="; fpath=(${(q)script} \$fpath); autoload -U compinit; compinit -u -D"
else
  setup+="; autoload -U compinit; compinit -u -D; source ${(q)script}"
fi
setup+="; compadd() { local -a m; builtin compadd -O m \"\$@\"; print -rl -- \$m >> ${(q)out}/current; builtin compadd \"\$@\" }"
setup+="; : >| ${(q)out}/ready"
zpty -w completing "$setup"
wait_for $out/ready || { print -u2 "the shell did not start"; zpty -d completing; exit 5 }

local i=0 query
for query in "$@"; do
  (( i++ ))
  # TAB, then end and kill the line, then file what was offered and say this query is done.
  zpty -w -n completing \
    "$query"$'\t\C-e\C-u'"command mv -f ${(q)out}/current ${(q)out}/$i 2>/dev/null; : >| ${(q)out}/$i.done"$'\n'
  wait_for $out/$i.done || { print -u2 "query $i timed out: $query"; zpty -d completing; exit 5 }
done
zpty -d completing
