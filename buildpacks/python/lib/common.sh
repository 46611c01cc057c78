# shellcheck shell=bash
# Shared helpers for Slipway's built-in buildpacks (sourced by bin/compile).
# Each buildpack carries its own copy so it stays usable on its own (copied, tarred, or pointed
# at by path); tests/integration/test_buildpacks.py checks that the copies stay identical.

# Build output in Heroku's style: "-----> " starts a step, 7 spaces indent its details, " !     "
# marks an error. Everything goes to stdout except errors, which go to stderr; the runner shows
# both, in order, in the build log.
topic() { echo "-----> $*"; }
info() { echo "       $*"; }
# Indents a command's output (line-buffered, so long steps stream instead of arriving at the end).
indent() { sed -u 's/^/       /'; }
warn() {
  echo
  local line
  for line in "$@"; do echo " !     $line"; done
  echo
}
fail() {
  warn "$@" >&2
  exit 1
}

# Exports the app's config vars (ENV_DIR holds one file per var, named by the var) for the build,
# as Heroku's own buildpacks do. Variables that would break the build machine itself are skipped.
export_env_dir() {
  local env_dir=${1:-} file name
  [ -n "$env_dir" ] && [ -d "$env_dir" ] || return 0
  for file in "$env_dir"/*; do
    [ -f "$file" ] || continue
    name=$(basename "$file")
    [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    case "$name" in
      PATH | HOME | GIT_DIR | CPATH | CPPATH | LD_PRELOAD | LIBRARY_PATH | LD_LIBRARY_PATH | \
        PYTHONHOME | BUILD_DIR | CACHE_DIR | ENV_DIR) continue ;;
    esac
    export "$name=$(cat "$file")"
  done
}
