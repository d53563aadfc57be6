#!/usr/bin/env bash
# Put tools/get_pip_offline.py where the installed ansible-test looks for its cached get-pip
# script, under the pip version that ansible-test pins. See tools/get_pip_offline.py.
set -euo pipefail
python=${1:?usage: install_get_pip_offline.sh PYTHON}
here=$(cd "$(dirname "$0")" && pwd)
req=$("$python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"))')
version=$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" "$req" | head -n 1)
[ -n "$version" ] || { echo "cannot find ansible-test's pip version in $req" >&2; exit 1; }
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp "$here/get_pip_offline.py" "$cache/get_pip_${version//./_}.py"
