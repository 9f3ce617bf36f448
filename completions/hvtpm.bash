# bash completion for hvtpm(1): commands, options, verdict names, formats.
# Installed by `make install` as $(PREFIX)/share/bash-completion/completions/hvtpm;
# or source it from ~/.bashrc.  Long options are never abbreviated by hvtpm,
# so completion is how to type them short.

_hvtpm_verdicts="no_vtpm restorable restorable_expired degraded needs_password hgs unknown rebuild rebuild_data_loss"
_hvtpm_pw="--password-file --ask-password --try-default-passwords"

_hvtpm_options()
{
	case $1 in
	inspect)  echo "--tree --format --at $_hvtpm_pw --follow-symlinks --help" ;;
	diagnose) echo "--at --warn-days --format --vm --verdict --expiring-before --plan --plan-out --plan-dir $_hvtpm_pw --follow-symlinks --quiet --help" ;;
	audit)    echo "--at --warn-days --format --table --verdict --expiring-before $_hvtpm_pw --follow-symlinks --facts-out --shard --quiet --help" ;;
	merge)    echo "--at --warn-days --format --table --verdict --expiring-before --quiet --help" ;;
	export)   echo "--dest --warn-days --out --help" ;;
	import)   echo "--from --out --help" ;;
	collect)  echo "--dest --vm --export-vm --include-certificates --warn-days --out --help" ;;
	esac
}

_hvtpm()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmd=${COMP_WORDS[1]} sub=
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "inspect diagnose audit merge script help --help --version" -- "$cur"))
		return
	fi
	case $cmd in
	help)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "inspect diagnose audit merge script" -- "$cur"))
		elif [ "$COMP_CWORD" -eq 3 ] && [ "${COMP_WORDS[2]}" = script ]; then
			COMPREPLY=($(compgen -W "export import collect" -- "$cur"))
		fi
		return ;;
	script)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "export import collect --help" -- "$cur"))
			return
		fi
		sub=${COMP_WORDS[2]} ;;
	inspect|diagnose|audit|merge) sub=$cmd ;;
	*) return ;;
	esac
	case $prev in
	--format)
		case $cmd in
		audit|merge) COMPREPLY=($(compgen -W "text json csv jsonl html" -- "$cur")) ;;
		diagnose) COMPREPLY=($(compgen -W "text json html" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
		esac
		return ;;
	--table) COMPREPLY=($(compgen -W "vms certs" -- "$cur")); return ;;
	--plan) COMPREPLY=($(compgen -W "powershell" -- "$cur")); return ;;
	--verdict)
		# a comma-separated list: complete the name after the last comma
		local head= last=$cur
		case $cur in *,*) head=${cur%,*},; last=${cur##*,} ;; esac
		COMPREPLY=($(compgen -P "$head" -W "$_hvtpm_verdicts" -- "$last"))
		return ;;
	--password-file|--plan-out|--out|--facts-out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--plan-dir|--dest|--from) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--at|--expiring-before|--warn-days|--vm|--shard) return ;;
	esac
	case $cur in
	-*) COMPREPLY=($(compgen -W "$(_hvtpm_options "$sub")" -- "$cur")) ;;
	esac
	# anything else: files and folders (complete -o default)
}

complete -o default -F _hvtpm hvtpm
